//! Kernel matrix: builds testdata tools once on the host with `bccc`, then boots each kernel of
//! the matrix (Debian cloud kernels 5.10, 6.1, 6.12 and the newest, fetched and cached by
//! `tests/vm/fetch-kernel.sh`) under qemu TCG and runs the whole batch in one boot through
//! `tests/vm/run.sh` and the guest driver `tests/vm/driver.sh`. The driver prints `ok NAME` /
//! `FAIL NAME: why` per check; this test asserts that every check passed on every kernel.
//!
//! Needs root, qemu-system-x86_64, busybox-static and cpio (`./x.sh deps`); never skips.
//! Knobs: `BCCC_VM_KERNELS` (space-separated aliases), `BCCC_VM_CACHE` (kernel cache directory).

mod common;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

/// The kernels booted when `BCCC_VM_KERNELS` is unset.
const KERNELS: &str = "5.10 6.1 6.12 latest";

/// Checks the guest driver runs; each is also the name of the testdata tool it needs.
const CHECKS: &[&str] = &[
    "opensnoop",
    "exitsnoop",
    "kprobe_nanosleep",
    "kprobe_openat2",
    "rawtp_switch",
    "syscount",
];

/// VMs booted at once: the machines this runs on have 2 cores.
const PARALLEL: usize = 2;

/// What one kernel's batch produced.
struct KernelRun {
    alias: String,
    status: Option<i32>,
    output: String,
    secs: f64,
}

impl KernelRun {
    /// Checks the driver reported as passed.
    fn passed(&self) -> Vec<&str> {
        self.output
            .lines()
            .filter_map(|l| l.strip_prefix("ok "))
            .collect()
    }

    /// The `FAIL ...` lines, and a note when the batch did not run to the end.
    fn failures(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .output
            .lines()
            .filter(|l| l.starts_with("FAIL "))
            .map(str::to_owned)
            .collect();
        let passed = self.passed();
        for check in CHECKS {
            let reported = passed.contains(check)
                || v.iter().any(|l| l.starts_with(&format!("FAIL {check}:")));
            if !reported {
                v.push(format!("MISSING {check}: the driver never reported it"));
            }
        }
        if self.status != Some(0) && v.is_empty() {
            v.push(format!("run.sh exited with {:?}", self.status));
        }
        v
    }
}

fn vm_dir() -> PathBuf {
    common::repo().join("tests/vm")
}

/// Fails loudly (CI installs these) rather than skipping.
fn require_host_tools() {
    for (tool, package) in [("qemu-system-x86_64", "qemu-system-x86"), ("cpio", "cpio")] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is missing (package {package}): run `./x.sh deps` (or apt-get install \
             --no-install-recommends qemu-system-x86 busybox-static cpio) before the VM tests"
        );
    }
    assert!(
        Path::new("/bin/busybox").exists(),
        "/bin/busybox is missing: run `./x.sh deps` (package busybox-static)"
    );
}

/// Builds every tool the checks need into `dir`, once.
fn build_tools(dir: &Path) -> Vec<PathBuf> {
    CHECKS
        .iter()
        .map(|name| {
            let bin = dir.join(name);
            common::build(
                &common::testdata(&format!("{name}.c")),
                &["-o", bin.to_str().expect("utf-8 path")],
            );
            bin
        })
        .collect()
}

/// Fetches (or finds cached) every kernel, returning each alias with its directory.
fn fetch_kernels(aliases: &[String]) -> Vec<(String, PathBuf)> {
    let started = Instant::now();
    let out = Command::new(vm_dir().join("fetch-kernel.sh"))
        .args(aliases)
        .output()
        .expect("run tests/vm/fetch-kernel.sh");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "fetching kernels {aliases:?} failed (see above)"
    );
    eprintln!("kernels ready in {:.1}s", started.elapsed().as_secs_f64());
    let dirs: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(PathBuf::from)
        .collect();
    assert_eq!(
        dirs.len(),
        aliases.len(),
        "fetch-kernel.sh printed {dirs:?}"
    );
    aliases.iter().cloned().zip(dirs).collect()
}

/// Boots `kernel` and runs the whole batch in it.
fn run_batch(alias: &str, kernel: &Path, tools: &[PathBuf]) -> KernelRun {
    let started = Instant::now();
    let files: Vec<String> = tools.iter().map(|t| t.display().to_string()).collect();
    let out = Command::new(vm_dir().join("run.sh"))
        .arg(kernel)
        .arg(vm_dir().join("driver.sh"))
        .args(CHECKS)
        .env("BCCC_VM_FILES", files.join(" "))
        .output()
        .expect("run tests/vm/run.sh");
    KernelRun {
        alias: alias.to_owned(),
        status: out.status.code(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        secs: started.elapsed().as_secs_f64(),
    }
}

/// Runs the batch on every kernel, `PARALLEL` VMs at a time, in the order given.
fn run_matrix(kernels: Vec<(String, PathBuf)>, tools: &[PathBuf]) -> Vec<KernelRun> {
    let order: Vec<String> = kernels.iter().map(|(a, _)| a.clone()).collect();
    let queue = Mutex::new(VecDeque::from(kernels));
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue lock").pop_front();
                    let Some((alias, dir)) = next else { break };
                    let run = run_batch(&alias, &dir, tools);
                    results.lock().expect("results lock").push(run);
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results lock");
    results.sort_by_key(|r| order.iter().position(|a| *a == r.alias));
    results
}

#[test]
fn every_tool_passes_on_every_kernel() {
    require_host_tools();
    let aliases: Vec<String> = std::env::var("BCCC_VM_KERNELS")
        .unwrap_or_else(|_| KERNELS.to_owned())
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert!(!aliases.is_empty(), "BCCC_VM_KERNELS names no kernel");
    let dir = common::scratch("vm-tools");
    let tools = build_tools(&dir);
    let kernels = fetch_kernels(&aliases);
    let runs = run_matrix(kernels, &tools);

    let (mut passed, mut failed) = (0, 0);
    let mut summary = String::new();
    for run in &runs {
        eprintln!(
            "===== kernel {} (exit {:?}, {:.1}s)\n{}",
            run.alias, run.status, run.secs, run.output
        );
        let ok = run.passed();
        let bad = run.failures();
        passed += ok.len();
        failed += bad.len();
        let _ = writeln!(
            summary,
            "{:>6}: {:.1}s, passed [{}]{}",
            run.alias,
            run.secs,
            ok.join(" "),
            if bad.is_empty() {
                String::new()
            } else {
                format!("\n        failed: {}", bad.join("\n        failed: "))
            }
        );
    }
    eprintln!("{summary}{passed} passed, {failed} failed");
    assert_eq!(failed, 0, "VM matrix failures:\n{summary}");
    assert_eq!(passed, CHECKS.len() * runs.len(), "{summary}");
}
