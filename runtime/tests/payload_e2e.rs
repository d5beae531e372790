//! End to end through the real executable: a copy of `bccc-rt` with a payload embedded the way
//! `bccc build` embeds it (object's ELF builder, non-alloc `.bccc.payload` section), run as a
//! separate process.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use bccc_manifest::{Manifest, payload};
use common::*;
use object::build::elf::{Builder, SectionData};

fn embed(manifest: &Manifest, object_bytes: &[u8], out: &Path) {
    let runtime = std::fs::read(env!("CARGO_BIN_EXE_bccc-rt")).unwrap();
    let mut b = Builder::read(&*runtime).expect("bccc-rt is an ELF file");
    let s = b.sections.add();
    s.name = payload::SECTION.into();
    s.sh_type = object::elf::SHT_PROGBITS;
    s.sh_flags = object::elf::SectionFlags(0);
    s.sh_addralign = 8;
    s.data = SectionData::Data(payload::encode(manifest, object_bytes).into());
    let mut bytes = Vec::new();
    b.write(&mut bytes).unwrap();
    std::fs::write(out, bytes).unwrap();
    std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The opensnoop tool, built once per test process.
fn opensnoop() -> &'static Path {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(build_opensnoop)
}

fn build_opensnoop() -> PathBuf {
    let m = opensnoop_manifest();
    let tool = scratch().join("opensnoop");
    embed(&m, &compile_bpf("opensnoop"), &tool);
    tool
}

/// Starts the built opensnoop and waits until its first stderr line says it is attached.
fn start(args: &[&str], stdout: Stdio) -> std::process::Child {
    let mut child = Command::new(opensnoop())
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert_eq!(first.trim_end(), bccc_runtime::READY);
    child
}

#[test]
fn built_tool_runs_for_its_duration_and_prints_events() {
    let child = start(&["-d", "2"], Stdio::piped());
    let path = format!("/tmp/bccc-rt-e2e-{}", std::process::id());
    for _ in 0..3 {
        let _ = std::fs::File::open(&path);
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(
        stdout.lines().next(),
        Some("PID     COMM             FILENAME")
    );
    let me = std::process::id().to_string();
    let hit = stdout
        .lines()
        .find(|l| l.ends_with(&path))
        .unwrap_or_else(|| panic!("no open of {path} in:\n{stdout}"));
    assert_eq!(hit.split_whitespace().next(), Some(me.as_str()), "{hit}");
}

#[test]
fn built_tool_help_and_sigterm() {
    let tool = opensnoop();
    let help = Command::new(tool).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "test tool opensnoop",
        "--duration <SECS>",
        "--interval <SECS>",
        "--json",
        "--top <N>",
        "--preflight",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
    }
    // SIGTERM: final results, detach, exit 0.
    let mut child = start(&[], Stdio::null());
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn bare_runtime_says_it_has_no_program() {
    let out = Command::new(env!("CARGO_BIN_EXE_bccc-rt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bare bccc runtime") && err.contains("bccc build"),
        "{err}"
    );
}
