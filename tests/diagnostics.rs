//! Bad input gives a coded diagnostic pointing into the user's file, a non-zero exit, and no
//! output file: one snapshot per `testdata/bad/<case>.c`, whose `// test: error CODE` names the
//! code it must carry. Missing tools and bad flags likewise.

mod common;

use common::fixture::{Fixture, Group, fixtures};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("environment_problems_say_what_to_install", || {
            environment_problems_say_what_to_install();
            Ok(())
        }),
        Trial::test("tp_btf_checks", || {
            tp_btf_checks();
            Ok(())
        }),
    ];
    let bad = fixtures(Group::Bad);
    assert!(bad.len() >= 6, "testdata/bad lost cases");
    for f in bad {
        trials.push(Trial::test(format!("bad::{}", f.name), move || {
            bad_input(&f)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Builds a bad fixture: it must fail with its `error` code, pointing into the file, writing
/// nothing; the rendered diagnostics are snapshotted.
fn bad_input(f: &Fixture) -> Result<(), Failed> {
    common::kernel_fs();
    let dir = common::scratch(&format!("diagnostics-{}", f.name));
    let code = f
        .error
        .as_deref()
        .ok_or("a bad fixture needs `// test: error CODE`")?;
    let stderr = common::verify::expect_error(f, &dir, code)?;
    insta::assert_snapshot!(format!("diagnostic__{}", f.name), stderr);
    Ok(())
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
        (
            "license_define",
            vec![],
            vec!["-D", "BPF_LICENSE=GPL"],
            "#define BPF_LICENSE",
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

/// Builds `src` (written to `<name>.c`) with `args`, expects a failure and returns the stderr.
fn build_error(dir: &std::path::Path, name: &str, src: &str, args: &[&str]) -> String {
    let input = dir.join(format!("{name}.c"));
    std::fs::write(&input, src).unwrap();
    let out_path = dir.join(name);
    let out = common::bccc()
        .arg("build")
        .arg(&input)
        .arg("-o")
        .arg(&out_path)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{name}:\n{stderr}");
    assert!(!out_path.exists(), "{name}: output written");
    assert!(!stderr.contains("panicked"), "{name}:\n{stderr}");
    stderr
}

/// `tp_btf` programs: the u64 ctx array first, no more typed arguments than the tracepoint's
/// `TP_PROTO`, one program type per function; the `TP_BTF_PROBE` macro and a renamed ctx work.
fn tp_btf_checks() {
    common::kernel_fs();
    let dir = common::scratch("diagnostics-tpbtf");
    let body = "{\n    return 0;\n}\n";
    let no_ctx = build_error(
        &dir,
        "no_ctx",
        &format!("// bccc:attach tp_btf:sched_process_exec\nint f(struct task_struct *p)\n{body}"),
        &[],
    );
    assert!(
        no_ctx.contains("bccc::E0215")
            && no_ctx.contains("`struct task_struct *`, not the u64 ctx array")
            && no_ctx.contains("no_ctx.c:2:7"),
        "{no_ctx}"
    );
    let no_params = build_error(
        &dir,
        "no_params",
        &format!("// bccc:attach tp_btf:sched_process_exec\nint f()\n{body}"),
        &[],
    );
    assert!(
        no_params.contains("bccc::E0215") && no_params.contains("takes no ctx parameter"),
        "{no_params}"
    );
    let too_many = build_error(
        &dir,
        "too_many",
        &format!(
            "// bccc:attach tp_btf:sched_process_exec\nint f(unsigned long long *ctx, struct task_struct *p, pid_t old, struct linux_binprm *b, int extra)\n{body}"
        ),
        &[],
    );
    assert!(
        too_many.contains("bccc::E0303")
            && too_many.contains("`sched_process_exec` has 3 arguments but `f` declares 4")
            && too_many.contains("too_many.c:2:"),
        "{too_many}"
    );
    let also_kprobe = build_error(
        &dir,
        "also_kprobe",
        &format!(
            "// bccc:attach tp_btf:sched_process_exec\nint f(unsigned long long *ctx)\n{body}"
        ),
        &["--attach", "kprobe:do_nanosleep=f"],
    );
    assert!(
        also_kprobe.contains("bccc::E0212")
            && also_kprobe.contains("`tp_btf`")
            && also_kprobe.contains("`kprobe`"),
        "{also_kprobe}"
    );
    let two_events = build_error(
        &dir,
        "two_events",
        &format!(
            "// bccc:attach tp_btf:sched_process_exec\nint f(unsigned long long *ctx)\n{body}"
        ),
        &["--attach", "tp_btf:sched_process_exit=f"],
    );
    assert!(
        two_events.contains("bccc::E0212") && two_events.contains("tp_btf/sched_process_exit"),
        "{two_events}"
    );

    // The macro form and a ctx under another name build (and the object loads: tests/verifier).
    let good = dir.join("macro_form.c");
    std::fs::write(
        &good,
        "TP_BTF_PROBE(sched_process_exec, struct task_struct *p)\n{\n    return p->tgid == 0;\n}\n\
// bccc:attach tp_btf:sched_process_fork\nint on_fork(u64 *args, struct task_struct *parent)\n{\n    return args[1] == 0;\n}\n\
int on_exit_tp(unsigned long long *ctx, struct task_struct *p)\n{\n    return p->pid == 0;\n}\n",
    )
    .unwrap();
    let c = dir.join("macro_form.bpf.c");
    let cli = ["--attach", "tp_btf:sched_process_exit=on_exit_tp"];
    common::build(
        &good,
        &[&cli[..], &["--emit", "c", "-o", c.to_str().unwrap()]].concat(),
    );
    let text = std::fs::read_to_string(&c).unwrap();
    for want in [
        "SEC(\"tp_btf/sched_process_exec\") int BPF_PROG(tp_btf__sched_process_exec, struct task_struct *p)",
        "SEC(\"tp_btf/sched_process_fork\") int BPF_PROG(on_fork, struct task_struct *parent)",
        "{ u64 *args = ctx;",
        "SEC(\"tp_btf/sched_process_exit\") int BPF_PROG(on_exit_tp, struct task_struct *p)",
        "return p->tgid == 0;",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
    let obj = dir.join("macro_form.bpf.o");
    common::build(
        &good,
        &[&cli[..], &["--emit", "obj", "-o", obj.to_str().unwrap()]].concat(),
    );
    let bytes = std::fs::read(&obj).unwrap();
    libbpf_rs::ObjectBuilder::default()
        .open_memory(&bytes)
        .and_then(libbpf_rs::OpenObject::load)
        .unwrap_or_else(|e| panic!("tp_btf object does not load: {e:#}\n{text}"));
}
