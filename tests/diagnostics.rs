//! Bad input gives a coded diagnostic pointing into the user's file, a non-zero exit, and no
//! output file. One snapshot per `testdata/bad/<case>.c`.

mod common;

#[test]
fn every_bad_input_gives_a_snapshotted_diagnostic_and_no_output() {
    common::kernel_fs();
    let dir = common::scratch("diagnostics");
    let mut cases: Vec<_> = std::fs::read_dir(common::testdata("bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "testdata/bad lost cases: {cases:?}");
    for case in cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let out_path = dir.join(&name);
        let out = common::bccc()
            .arg("build")
            .arg(&case)
            .arg("-o")
            .arg(&out_path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "{name}: bccc accepted bad input:\n{stderr}"
        );
        assert!(!out_path.exists(), "{name}: output written despite errors");
        assert!(
            stderr.contains("bccc::E"),
            "{name}: no diagnostic code in:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("{name}.c:")),
            "{name}: no span in the user's file:\n{stderr}"
        );
        insta::assert_snapshot!(format!("diagnostic__{name}"), stderr);
    }
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "failed builds left files behind: {left:?}");
}

// (case, environment, extra arguments, text the help must contain)
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<&'static str>,
    &'static str,
);

/// A missing clang, libclang or BTF, or a bad `--attach`, is a coded diagnostic saying what to
/// install or pass, never a panic, and writes nothing.
#[test]
fn environment_problems_say_what_to_install() {
    let dir = common::scratch("diagnostics-env");
    let out_path = dir.join("tool");
    let program = common::testdata("opensnoop.c");
    let cases: Vec<Case> = vec![
        (
            "missing_clang",
            vec![("BCCC_CLANG", "/nonexistent/clang-19")],
            vec![],
            "apt-get install clang-19",
        ),
        (
            "missing_libclang",
            vec![("LIBCLANG_PATH", "/nonexistent/libclang.so")],
            vec![],
            "libclang1-19",
        ),
        (
            "missing_btf",
            vec![],
            vec!["--btf", "/nonexistent.btf"],
            "BTF",
        ),
        (
            "attach_without_function",
            vec![],
            vec!["--attach", "kprobe:do_nanosleep"],
            "=FUNCTION",
        ),
    ];
    for (name, env, args, hint) in cases {
        let out = common::bccc()
            .envs(env)
            .arg("build")
            .arg(&program)
            .arg("-o")
            .arg(&out_path)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{name}:\n{stderr}");
        assert!(
            stderr.contains("bccc::E") && stderr.contains(hint),
            "{name}:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}:\n{stderr}");
        assert!(!out_path.exists(), "{name}: output written");
        insta::assert_snapshot!(format!("environment__{name}"), stderr);
    }
}
