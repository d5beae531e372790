//! Snapshots of what `bccc build` makes of every testdata program: the rewritten libbpf C and
//! the manifest. Adding `testdata/<name>.c` adds both snapshots.

mod common;

use std::path::Path;

/// Builds `program` with `--emit` and returns the text written.
fn emit(program: &Path, kind: &str, dir: &Path) -> String {
    let stem = program.file_stem().unwrap().to_string_lossy();
    let out = dir.join(format!("{stem}.{kind}"));
    let target = Path::new("/opt/bccc-tests/uprobe_target");
    let extra = common::extra_args(program, target);
    let mut args = vec!["--emit", kind, "-o", out.to_str().unwrap()];
    args.extend(extra.iter().map(String::as_str));
    common::build(program, &args);
    std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()))
}

#[test]
fn rewritten_c_and_manifest_of_every_testdata_program() {
    common::kernel_fs();
    let dir = common::scratch("snapshots");
    for program in common::programs() {
        let name = program.file_stem().unwrap().to_string_lossy().into_owned();
        let c = emit(&program, "c", &dir);
        insta::assert_snapshot!(format!("rewritten__{name}"), c);
        let manifest = emit(&program, "manifest", &dir);
        insta::assert_snapshot!(format!("manifest__{name}"), manifest);
    }
}

#[test]
fn dash_writes_to_standard_output_and_names_the_tool_after_the_input() {
    let dir = common::scratch("stdout");
    let program = common::testdata("opensnoop.c");
    let c = emit(&program, "c", &dir);
    let to_stdout = |kind: &str| {
        let out = common::bccc()
            .current_dir(&dir)
            .arg("build")
            .arg(&program)
            .args(["--emit", kind, "-o", "-"])
            .output()
            .expect("run bccc");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "--emit {kind} -o -: {stderr}");
        out.stdout
    };
    assert_eq!(String::from_utf8_lossy(&to_stdout("c")), c);
    let json = to_stdout("manifest");
    let manifest: serde_json::Value = serde_json::from_slice(&json).expect("JSON manifest");
    assert_eq!(manifest["tool"]["name"], "opensnoop");
    // Nothing but the one file `emit` wrote: no file named `-`, no temporary file.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["opensnoop.c"], "{files:?}");
}
