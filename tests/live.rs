//! Live tests: every fixture with a `run` directive (testdata/README.md), built into a static tool
//! and run here by `tests/vm/driver.sh` against its workload; the output is judged against the
//! fixture's expectations, and nothing may stay loaded afterwards. On this kernel a fixture whose
//! needs are missing (kprobes, fentry) must refuse plainly instead. Root is required (CI runs as
//! root); nothing skips. One test per fixture.

mod common;

use std::process::Command;
use std::sync::Mutex;

use common::fixture::{Fixture, Group, fixtures};
use common::run;
use libtest_mimic::{Arguments, Failed, Trial};

/// Live tests run one at a time: they trace system-wide and look for leftover programs.
static SERIAL: Mutex<()> = Mutex::new(());

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test(
        "built_tools_are_static_executables",
        static_tool,
    )];
    for group in [Group::Tool, Group::Dialect] {
        for f in fixtures(group).into_iter().filter(Fixture::runs) {
            let name = format!("{}::{}", group.label(), f.name);
            let ignored = f.xfail.is_some();
            trials.push(
                Trial::test(name, move || {
                    let _serial = SERIAL
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let facts = run::host_facts();
                    let why = run::run_here(&f, &facts);
                    if why.is_empty() {
                        Ok(())
                    } else {
                        Err(why.join("\n").into())
                    }
                })
                .with_ignored_flag(ignored),
            );
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// A built tool is one static executable, mode 0755.
fn static_tool() -> Result<(), Failed> {
    let dir = common::scratch("live-static");
    let bin = dir.join("opensnoop");
    common::build(
        &common::testdata("opensnoop.c"),
        &["-o", bin.to_str().unwrap()],
    );
    let ldd = Command::new("ldd").arg(&bin).output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    if !(text.contains("not a dynamic executable") || text.contains("statically linked")) {
        return Err(format!("ldd says:\n{text}").into());
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&bin)?.permissions());
    if mode & 0o777 != 0o755 {
        return Err(format!("tool mode {:o}", mode & 0o777).into());
    }
    Ok(())
}
