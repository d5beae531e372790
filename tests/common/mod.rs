//! Shared helpers for the integration tests: run the real `bccc` binary, find testdata, prepare
//! the kernel interfaces the tests need (they run as root, here and in CI).

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

pub(crate) mod expect;
pub(crate) mod fixture;
pub(crate) mod kernel;
pub(crate) mod run;
pub(crate) mod verify;

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("compiler/ has a parent")
        .to_owned()
}

/// A file under `testdata/`.
pub(crate) fn testdata(name: &str) -> PathBuf {
    repo().join("testdata").join(name)
}

/// A scratch directory under the target dir (kept for post-mortems, cleaned per test name).
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// The cache every test shares, so vmlinux.h and the PCHs are made once per test run.
pub(crate) fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("bccc-cache")
}

/// A `bccc` command with the shared cache and no colour.
pub(crate) fn bccc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bccc"));
    c.env("BCCC_CACHE_DIR", cache_dir()).env("NO_COLOR", "1");
    c
}

/// Runs `bccc build <program> <args...>` and panics with its stderr on failure.
pub(crate) fn build(program: &Path, args: &[&str]) -> Output {
    let out = bccc()
        .arg("build")
        .arg(program)
        .args(args)
        .output()
        .expect("run bccc");
    assert!(
        out.status.success(),
        "bccc build {} {args:?} failed:\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Mounts tracefs and bpffs when missing (tests run as root; CI too).
pub(crate) fn kernel_fs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (fs, dir, probe) in [
            (
                "tracefs",
                "/sys/kernel/tracing",
                "/sys/kernel/tracing/events",
            ),
            ("bpf", "/sys/fs/bpf", "/sys/fs/bpf/."),
        ] {
            if fs == "bpf" || !Path::new(probe).exists() {
                let _ = Command::new("mount").args(["-t", fs, fs, dir]).status();
            }
        }
        assert!(
            Path::new("/sys/kernel/tracing/events").exists(),
            "tracefs is not mounted and could not be"
        );
    });
}
