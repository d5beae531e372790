//! Kernel matrix: every fixture with a `run` directive (testdata/README.md), built once here, runs
//! on each kernel of the matrix (Debian cloud kernels 5.10, 6.1, 6.12 and the newest, fetched
//! and cached by `tests/vm/fetch-kernel.sh`) under qemu TCG, the whole batch in one boot per
//! kernel through `tests/vm/run.sh` and the same driver the live tests use
//! (`tests/vm/driver.sh`). The output is judged here against the fixture's expectations; one test
//! per kernel and fixture (`5.10::tools::opensnoop`).
//!
//! What each fixture needs (config options, BTF functions and types) is read from each kernel's
//! own config and BTF before it boots, never assumed: where a kernel lacks a need, the fixture
//! must refuse plainly there (exit non-zero with a message, no panic, no hang).
//!
//! Needs root, qemu-system-x86_64, busybox-static, cpio and the decompressors (`./x.sh deps`);
//! never skips. Knobs: `BCCC_VM_KERNELS` (space-separated aliases), `BCCC_VM_CACHE` (kernel
//! cache directory).

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use common::expect::{judge, parse_frames};
use common::fixture::{Fixture, Group, fixtures};
use common::kernel::{KernelFacts, Need};
use common::run::{Mode, describe, stage, uprobe_target};
use libtest_mimic::{Arguments, Trial};

/// The kernels booted when `BCCC_VM_KERNELS` is unset.
const KERNELS: &str = "5.10 6.1 6.12 latest";

/// Where the guest finds the workload binary and the staged fixtures.
const GUEST_TARGET: &str = "/test/uprobe_target";
const GUEST_FIXTURES: &str = "/test/fx";
/// The guest's `NVMe` disk (`needs disk`).
const GUEST_DISK: &str = "/dev/nvme0n1";

/// VMs booted at once: the machines this runs on have 2 cores.
const PARALLEL: usize = 2;

fn aliases() -> Vec<String> {
    std::env::var("BCCC_VM_KERNELS")
        .unwrap_or_else(|_| KERNELS.to_owned())
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The fixtures the matrix runs, with their test-name prefixes.
fn runnable() -> Vec<Fixture> {
    [Group::Tool, Group::Dialect]
        .into_iter()
        .flat_map(fixtures)
        .filter(|f| f.runs() && f.xfail.is_none())
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let aliases = aliases();
    assert!(!aliases.is_empty(), "BCCC_VM_KERNELS names no kernel");
    let mut trials = Vec::new();
    for alias in &aliases {
        for f in runnable() {
            let key = (alias.clone(), f.name.clone());
            trials.push(Trial::test(
                format!("{alias}::{}::{}", f.group.label(), f.name),
                move || {
                    let results = matrix();
                    match results.get(&key) {
                        Some(why) if why.is_empty() => Ok(()),
                        Some(why) => Err(why.join("\n").into()),
                        None => Err(format!("the matrix has no result for {key:?}").into()),
                    }
                },
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Each (kernel, fixture)'s failures, empty when it passed; computed once, by the first test.
fn matrix() -> &'static BTreeMap<(String, String), Vec<String>> {
    static MATRIX: OnceLock<BTreeMap<(String, String), Vec<String>>> = OnceLock::new();
    MATRIX.get_or_init(|| {
        require_host_tools();
        let fixtures = runnable();
        let staged = stage_all(&fixtures);
        let kernels = fetch_kernels(&aliases());
        let runs = run_matrix(kernels, &staged, &fixtures);
        let mut out = BTreeMap::new();
        let mut summary = String::new();
        for (alias, results, note) in runs {
            let failed = results.values().filter(|w| !w.is_empty()).count();
            let _ = writeln!(
                summary,
                "{alias:>6}: {} passed, {failed} failed{note}",
                results.len() - failed
            );
            for (name, why) in results {
                out.insert((alias.clone(), name), why);
            }
        }
        eprintln!("{summary}");
        out
    })
}

/// Fails loudly (CI installs these) rather than skipping.
fn require_host_tools() {
    for (tool, package) in [
        ("qemu-system-x86_64", "qemu-system-x86"),
        ("cpio", "cpio"),
        ("lz4", "lz4"),
        ("zstd", "zstd"),
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is missing (package {package}): run `./x.sh deps` before the VM tests"
        );
    }
    assert!(
        Path::new("/bin/busybox").exists(),
        "/bin/busybox is missing: run `./x.sh deps` (package busybox-static)"
    );
}

/// Builds every fixture's tool for the guest into one directory the guest gets as /test/fx.
fn stage_all(fixtures: &[Fixture]) -> PathBuf {
    let root = common::scratch("vm-stage");
    let fx = root.join("fx");
    for f in fixtures {
        stage(f, &fx, Path::new(GUEST_TARGET), Mode::Run);
    }
    std::fs::copy(uprobe_target(), root.join("uprobe_target")).expect("copy the workload");
    root
}

/// Fetches (or finds cached) every kernel, returning each alias with its directory.
fn fetch_kernels(aliases: &[String]) -> Vec<(String, PathBuf)> {
    let started = Instant::now();
    let out = Command::new(common::repo().join("tests/vm/fetch-kernel.sh"))
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

/// (alias, failures per fixture, a note for the summary)
type KernelResult = (String, BTreeMap<String, Vec<String>>, String);

/// Boots `kernel`, runs every fixture (those whose needs it lacks in refuse mode) and judges them.
fn run_kernel(alias: &str, kernel: &Path, staged: &Path, fixtures: &[Fixture]) -> KernelResult {
    let started = Instant::now();
    let facts = KernelFacts::read_dir(kernel);
    let package = std::fs::read_to_string(kernel.join("package")).unwrap_or_default();
    let mut refuse = Vec::new();
    let mut notes = BTreeMap::new();
    for f in fixtures {
        let missing = facts.missing(&f.needs);
        if !missing.is_empty() {
            refuse.push(f.name.clone());
            notes.insert(
                f.name.clone(),
                format!("(this kernel: {})", missing.join(", ")),
            );
        }
    }
    let lsm = facts.lsm_cmdline().unwrap_or_default();
    let mut cmd = Command::new(common::repo().join("tests/vm/run.sh"));
    cmd.arg(kernel)
        .arg(common::run::driver())
        .arg(format!("TARGET={GUEST_TARGET}"))
        .arg(format!("DISK={GUEST_DISK}"))
        .arg(format!("REFUSE={}", refuse.join(" ")));
    cmd.args(
        fixtures
            .iter()
            .map(|f| format!("{GUEST_FIXTURES}/{}", f.name)),
    );
    let out = cmd
        .env(
            "BCCC_VM_FILES",
            format!(
                "{}:fx {} {}:boot-config",
                staged.join("fx").display(),
                staged.join("uprobe_target").display(),
                kernel.join("config").display()
            ),
        )
        .env("BCCC_VM_DISK_MB", "16")
        .env("BCCC_VM_MEM", "1536M")
        .env("BCCC_VM_TIMEOUT", "1200")
        .env("BCCC_VM_CMDLINE", &lsm)
        .output()
        .expect("run tests/vm/run.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    let frames = parse_frames(&text);
    let has = |n: &Need| facts.check(n).is_ok();
    let mut results = BTreeMap::new();
    for f in fixtures {
        let why = match frames.get(&f.name) {
            Some(frame) => {
                let expects = f
                    .run
                    .as_ref()
                    .map(|r| r.expects.as_slice())
                    .unwrap_or_default();
                let mut why = judge(frame, expects, &has);
                if !why.is_empty() {
                    if let Some(n) = notes.get(&f.name) {
                        why.push(n.clone());
                    }
                    why.push(describe(frame));
                }
                why
            }
            None => vec![format!(
                "the guest reported nothing for it (run.sh exit {:?}):\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )],
        };
        results.insert(f.name.clone(), why);
    }
    let mut note = format!(
        " ({}, {:.1}s",
        package.trim(),
        started.elapsed().as_secs_f64()
    );
    if !lsm.is_empty() {
        let _ = write!(note, "; CONFIG_LSM lacks bpf: booted with {lsm}");
    }
    if !refuse.is_empty() {
        let _ = write!(note, "; must refuse: {}", refuse.join(" "));
    }
    note.push(')');
    (alias.to_owned(), results, note)
}

/// Runs every kernel, `PARALLEL` VMs at a time, in the order given.
fn run_matrix(
    kernels: Vec<(String, PathBuf)>,
    staged: &Path,
    fixtures: &[Fixture],
) -> Vec<KernelResult> {
    let order: Vec<String> = kernels.iter().map(|(a, _)| a.clone()).collect();
    let queue = Mutex::new(VecDeque::from(kernels));
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue lock").pop_front();
                    let Some((alias, dir)) = next else { break };
                    let run = run_kernel(&alias, &dir, staged, fixtures);
                    results.lock().expect("results lock").push(run);
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results lock");
    results.sort_by_key(|r| order.iter().position(|a| *a == r.0));
    results
}
