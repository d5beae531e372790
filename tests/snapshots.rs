//! Snapshots of what `bccc build` makes of every tool in `testdata/`: the rewritten libbpf C and
//! the manifest, one test each. Adding `testdata/<name>.c` adds both. (The conformance suite's
//! programs are snapshotted by tests/conformance.rs, bad input by tests/diagnostics.rs.)

mod common;

use std::path::Path;

use common::fixture::{Fixture, Group, fixtures};
use libtest_mimic::{Arguments, Trial};

/// Where snapshots say the uprobe target is (the path only shows in attach specs).
const TARGET: &str = "/opt/bccc-tests/uprobe_target";

/// Builds `fixture` with `--emit kind` and returns the text written.
pub(crate) fn emit(fixture: &Fixture, kind: &str, dir: &Path) -> String {
    let out = dir.join(format!("{}.{kind}", fixture.name));
    let extra = fixture.build_args(Path::new(TARGET));
    let mut args = vec!["--emit", kind, "-o", out.to_str().unwrap()];
    args.extend(extra.iter().map(String::as_str));
    common::build(&fixture.path, &args);
    std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()))
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test(
        "dash_writes_to_standard_output_and_names_the_tool_after_the_input",
        || {
            dash_output();
            Ok(())
        },
    )];
    let tools = fixtures(Group::Tool);
    assert!(tools.len() >= 6, "testdata/ lost its tools");
    for f in tools {
        for kind in ["c", "manifest"] {
            let f = f.clone();
            let snap = if kind == "c" { "rewritten" } else { "manifest" };
            trials.push(Trial::test(format!("{snap}::{}", f.name), move || {
                common::kernel_fs();
                let dir = common::scratch(&format!("snapshots-{kind}-{}", f.name));
                let text = emit(&f, kind, &dir);
                insta::assert_snapshot!(format!("{snap}__{}", f.name), text);
                Ok(())
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// `-o -` writes any emit to standard output and names the tool after the input.
fn dash_output() {
    let dir = common::scratch("stdout");
    let program = common::testdata("opensnoop.c");
    let fixture = Fixture::read(&program, Group::Tool);
    let c = emit(&fixture, "c", &dir);
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
