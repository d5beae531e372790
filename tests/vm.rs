//! Kernel matrix: builds testdata tools once on the host with `bccc`, then boots each kernel of
//! the matrix (Debian cloud kernels 5.10, 6.1, 6.12 and the newest, fetched and cached by
//! `tests/vm/fetch-kernel.sh`) under qemu TCG and runs the whole batch in one boot through
//! `tests/vm/run.sh` and the guest driver `tests/vm/driver.sh`. The driver prints `ok NAME` /
//! `FAIL NAME: why` per check; this test asserts that every check passed on every kernel.
//!
//! What each check needs (config options, BTF functions and types) is read from each kernel's
//! own config and BTF before it boots, never assumed: a check whose needs a kernel lacks runs as
//! `NAME:unsupported`, where the tool must refuse plainly, and the summary says what was missing.
//!
//! Needs root, qemu-system-x86_64, busybox-static, cpio and the decompressors (`./x.sh deps`);
//! never skips. Knobs: `BCCC_VM_KERNELS` (space-separated aliases), `BCCC_VM_CACHE` (kernel
//! cache directory).

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

/// The kernels booted when `BCCC_VM_KERNELS` is unset.
const KERNELS: &str = "5.10 6.1 6.12 latest";

/// Something a check needs from the guest kernel, checked on the host before booting it.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// `CONFIG_X=y` (a module is not enough: the test initramfs loads none).
    Config(&'static str),
    /// A function in the kernel's BTF (the target of an fentry or LSM program).
    BtfFunc(&'static str),
    /// A named type in the kernel's BTF (a `btf_trace_*` typedef, a tracepoint record).
    BtfType(&'static str),
}

/// What every BPF tool needs.
const BASE: &[Need] = &[
    Need::Config("CONFIG_BPF_SYSCALL"),
    Need::Config("CONFIG_DEBUG_INFO_BTF"),
];

const SYSCALL_TP: Need = Need::Config("CONFIG_FTRACE_SYSCALLS");
const KPROBES: &[Need] = &[
    Need::Config("CONFIG_KPROBES"),
    Need::Config("CONFIG_KPROBE_EVENTS"),
];

/// One guest check: the testdata tool it runs (same name) and what the kernel must have.
struct Check {
    name: &'static str,
    needs: &'static [Need],
}

/// Checks the guest driver runs, in order; each names the testdata tool it runs.
const CHECKS: &[Check] = &[
    Check {
        name: "opensnoop",
        needs: &[SYSCALL_TP],
    },
    Check {
        name: "exitsnoop",
        needs: &[Need::BtfType("trace_event_raw_sched_process_template")],
    },
    Check {
        name: "syscount",
        needs: &[SYSCALL_TP],
    },
    Check {
        name: "printk_exec",
        needs: &[SYSCALL_TP],
    },
    Check {
        name: "runqlat",
        needs: &[
            Need::BtfType("trace_event_raw_sched_wakeup_template"),
            Need::BtfType("trace_event_raw_sched_switch"),
        ],
    },
    Check {
        name: "tp_data_loc",
        needs: &[Need::BtfType("trace_event_raw_sched_process_exec")],
    },
    Check {
        name: "block_rq",
        needs: &[
            Need::BtfType("trace_event_raw_block_rq"),
            Need::Config("CONFIG_BLK_DEV_NVME"),
        ],
    },
    Check {
        name: "rawtp_switch",
        needs: &[Need::Config("CONFIG_BPF_EVENTS")],
    },
    Check {
        name: "tpbtf_exec",
        needs: &[Need::BtfType("btf_trace_sched_process_exec")],
    },
    Check {
        name: "kprobe_nanosleep",
        needs: KPROBES,
    },
    Check {
        name: "kprobe_openat2",
        needs: KPROBES,
    },
    Check {
        name: "fentry_openat2",
        needs: &[
            Need::Config("CONFIG_BPF_JIT"),
            Need::Config("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"),
            Need::BtfFunc("do_sys_openat2"),
        ],
    },
    Check {
        name: "lsm_bprm",
        needs: &[
            Need::Config("CONFIG_BPF_LSM"),
            Need::BtfFunc("bpf_lsm_bprm_check_security"),
        ],
    },
    Check {
        name: "uprobe_count",
        needs: &[Need::Config("CONFIG_UPROBE_EVENTS")],
    },
];

/// A variant of `fentry_openat2` (not in testdata/) whose fexit declares the result of
/// [`WIDENED_FN`] as `long`: the runtime must warn on kernels where it returns `int`.
const WIDENED: &str = "fexit_long_ret";
const WIDENED_FN: &str = "do_sys_openat2";

/// Where the guest finds the uprobe target (and the static program workloads exec).
const GUEST_TARGET: &str = "/test/uprobe_target";

/// VMs booted at once: the machines this runs on have 2 cores.
const PARALLEL: usize = 2;

/// A kernel's build configuration and BTF, read from its cache directory.
struct KernelFacts {
    config: BTreeMap<String, String>,
    btf: Option<btf_rs::Btf>,
}

impl KernelFacts {
    fn read(dir: &Path) -> Self {
        let text = std::fs::read_to_string(dir.join("config")).unwrap_or_else(|e| {
            panic!("{}/config: {e} (fetch-kernel.sh writes it)", dir.display())
        });
        let btf = btf_rs::Btf::from_file(dir.join("btf"))
            .unwrap_or_else(|e| panic!("{}/btf: {e} (fetch-kernel.sh writes it)", dir.display()));
        Self::new(&text, Some(btf))
    }

    fn new(config: &str, btf: Option<btf_rs::Btf>) -> Self {
        let config = config
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
            .collect();
        Self { config, btf }
    }

    /// Why the kernel cannot run a check, one phrase per missing need; empty when it can.
    fn missing(&self, needs: &[Need]) -> Vec<String> {
        BASE.iter()
            .chain(needs)
            .filter_map(|need| match *need {
                Need::Config(name) => match self.config.get(name).map(String::as_str) {
                    Some("y") => None,
                    Some("m") => Some(format!(
                        "{name}=m (a module; the test initramfs loads none)"
                    )),
                    _ => Some(format!("{name} is not set")),
                },
                Need::BtfFunc(name) => (!self
                    .btf_has(name, |t| matches!(t, btf_rs::Type::Func(_))))
                .then(|| format!("no function {name} in the kernel's BTF")),
                Need::BtfType(name) => (!self
                    .btf_has(name, |t| !matches!(t, btf_rs::Type::Func(_))))
                .then(|| format!("no type {name} in the kernel's BTF")),
            })
            .collect()
    }

    fn btf_has(&self, name: &str, kind: impl Fn(&btf_rs::Type) -> bool) -> bool {
        self.btf
            .as_ref()
            .and_then(|b| b.resolve_types_by_name(name).ok())
            .is_some_and(|types| types.iter().any(kind))
    }

    /// `sizeof` what kernel function `name` returns (typedefs and modifiers resolved), from
    /// its BTF prototype.
    fn return_size(&self, name: &str) -> Option<usize> {
        let btf = self.btf.as_ref()?;
        let func = btf
            .resolve_types_by_name(name)
            .ok()?
            .into_iter()
            .find_map(|t| match t {
                btf_rs::Type::Func(f) => Some(f),
                _ => None,
            })?;
        let btf_rs::Type::FuncProto(proto) = btf.resolve_chained_type(&func).ok()? else {
            return None;
        };
        let mut ty = btf.resolve_type_by_id(proto.return_type_id()).ok()?;
        loop {
            ty = match ty {
                btf_rs::Type::Int(i) => return Some(i.size()),
                btf_rs::Type::Typedef(_) | btf_rs::Type::Const(_) | btf_rs::Type::Volatile(_) => {
                    btf.resolve_chained_type(ty.as_btf_type()?).ok()?
                }
                _ => return None,
            };
        }
    }

    /// The boot argument that activates the BPF LSM when the kernel builds it in but its default
    /// LSM list (`CONFIG_LSM`) leaves it out, as Debian's 5.10 does.
    fn lsm_cmdline(&self) -> Option<String> {
        if self.config.get("CONFIG_BPF_LSM").map(String::as_str) != Some("y") {
            return None;
        }
        let list = self.config.get("CONFIG_LSM")?;
        (!list.split(',').any(|l| l == "bpf")).then(|| format!("lsm={list},bpf"))
    }
}

/// How one kernel runs the batch: the driver's arguments and what the summary says about them.
struct Plan {
    args: Vec<String>,
    cmdline: String,
    notes: Vec<String>,
}

fn plan(facts: &KernelFacts) -> Plan {
    let mut plan = Plan {
        args: Vec::new(),
        cmdline: String::new(),
        notes: Vec::new(),
    };
    for check in CHECKS {
        let missing = facts.missing(check.needs);
        if missing.is_empty() {
            plan.args.push(check.name.to_owned());
        } else {
            plan.args.push(format!("{}:unsupported", check.name));
            plan.notes.push(format!(
                "{} unsupported: {}",
                check.name,
                missing.join(", ")
            ));
        }
    }
    // fexit_long_ret declares do_sys_openat2's result `long`: the tool must warn exactly
    // where this kernel's BTF says the function returns something narrower.
    match facts.return_size(WIDENED_FN) {
        Some(size) => {
            let expect = if size < 8 { "warns" } else { "quiet" };
            plan.args.push(format!("{WIDENED}:{expect}"));
            plan.notes.push(format!(
                "{WIDENED_FN} returns {size} bytes here: {WIDENED} (declares long) {expect}"
            ));
        }
        None => plan.notes.push(format!(
            "{WIDENED} not run: no {WIDENED_FN} prototype in the kernel's BTF"
        )),
    }
    if let Some(arg) = facts.lsm_cmdline() {
        plan.notes.push(format!(
            "CONFIG_BPF_LSM=y but CONFIG_LSM lacks bpf: booted with {arg}"
        ));
        plan.cmdline = arg;
    }
    plan
}

/// What one kernel's batch produced.
struct KernelRun {
    alias: String,
    package: String,
    plan: Plan,
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
        for check in &self.plan.args {
            let reported = passed.contains(&check.as_str())
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
            "{tool} is missing (package {package}): run `./x.sh deps` (or apt-get install \
             --no-install-recommends qemu-system-x86 busybox-static cpio lz4 zstd) before the VM tests"
        );
    }
    assert!(
        Path::new("/bin/busybox").exists(),
        "/bin/busybox is missing: run `./x.sh deps` (package busybox-static)"
    );
}

/// Builds the static uprobe target and every tool the checks need into `dir`, once.
fn build_tools(dir: &Path) -> Vec<PathBuf> {
    let target = dir.join("uprobe_target");
    let src = common::testdata("workloads/uprobe_target.c");
    // Static: the guest has no libc. Built here, run at GUEST_TARGET.
    let status = Command::new("cc")
        .args(["-static", "-O1", "-g", "-o"])
        .arg(&target)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc -static {} failed", src.display());
    let mut files = vec![target];
    for check in CHECKS {
        let bin = dir.join(check.name);
        let mut args = vec!["-o".to_owned(), bin.display().to_string()];
        if check.name == "uprobe_count" {
            args.push("--attach".into());
            args.push(format!("uprobe:{GUEST_TARGET}:bccc_test_work=count_work"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::build(&common::testdata(&format!("{}.c", check.name)), &args);
        files.push(bin);
    }
    let text = std::fs::read_to_string(common::testdata("fentry_openat2.c")).expect("testdata");
    let widened = text.replace(
        "struct open_how *how, int ret)",
        "struct open_how *how, long ret)",
    );
    assert_ne!(
        widened, text,
        "fentry_openat2.c no longer declares `int ret`"
    );
    let src = dir.join(format!("{WIDENED}.c"));
    std::fs::write(&src, widened).expect("write variant");
    let bin = dir.join(WIDENED);
    common::build(&src, &["-o", bin.to_str().expect("utf-8 path")]);
    files.push(bin);
    files
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

/// Boots `kernel` and runs the planned batch in it.
fn run_batch(alias: &str, kernel: &Path, files: &[PathBuf]) -> KernelRun {
    let started = Instant::now();
    let plan = plan(&KernelFacts::read(kernel));
    let package = std::fs::read_to_string(kernel.join("package")).unwrap_or_default();
    let files: Vec<String> = files.iter().map(|t| t.display().to_string()).collect();
    let out = Command::new(vm_dir().join("run.sh"))
        .arg(kernel)
        .arg(vm_dir().join("driver.sh"))
        .args(&plan.args)
        .env("BCCC_VM_FILES", files.join(" "))
        .env("BCCC_VM_DISK_MB", "16")
        .env("BCCC_VM_CMDLINE", &plan.cmdline)
        .output()
        .expect("run tests/vm/run.sh");
    KernelRun {
        alias: alias.to_owned(),
        package: package.trim().to_owned(),
        plan,
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
fn run_matrix(kernels: Vec<(String, PathBuf)>, files: &[PathBuf]) -> Vec<KernelRun> {
    let order: Vec<String> = kernels.iter().map(|(a, _)| a.clone()).collect();
    let queue = Mutex::new(VecDeque::from(kernels));
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue lock").pop_front();
                    let Some((alias, dir)) = next else { break };
                    let run = run_batch(&alias, &dir, files);
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
    let files = build_tools(&dir);
    let kernels = fetch_kernels(&aliases);
    let runs = run_matrix(kernels, &files);

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
            "{:>6} ({}): {:.1}s, passed [{}]",
            run.alias,
            run.package,
            run.secs,
            ok.join(" ")
        );
        for line in run.plan.notes.iter().chain(&bad) {
            let _ = writeln!(summary, "        {line}");
        }
    }
    eprintln!("{summary}{passed} passed, {failed} failed");
    assert_eq!(failed, 0, "VM matrix failures:\n{summary}");
    let planned: usize = runs.iter().map(|r| r.plan.args.len()).sum();
    assert_eq!(passed, planned, "{summary}");
}

const CONFIG_510: &str = "CONFIG_BPF_SYSCALL=y\nCONFIG_DEBUG_INFO_BTF=y\nCONFIG_BPF_LSM=y\n\
    CONFIG_LSM=\"lockdown,yama,apparmor\"\nCONFIG_KPROBES=y\n# CONFIG_KPROBE_EVENTS is not set\n\
    CONFIG_BLK_DEV_NVME=m\n";

#[test]
fn needs_are_read_from_the_config() {
    let facts = KernelFacts::new(CONFIG_510, None);
    assert!(facts.missing(&[Need::Config("CONFIG_KPROBES")]).is_empty());
    assert_eq!(facts.missing(KPROBES), ["CONFIG_KPROBE_EVENTS is not set"]);
    assert_eq!(
        facts.missing(&[Need::Config("CONFIG_BLK_DEV_NVME")]),
        ["CONFIG_BLK_DEV_NVME=m (a module; the test initramfs loads none)"]
    );
    // Without BTF every BTF need is missing, so the plan marks those checks unsupported.
    assert_eq!(
        facts.missing(&[Need::BtfFunc("do_sys_openat2")]),
        ["no function do_sys_openat2 in the kernel's BTF"]
    );
    let plan = plan(&facts);
    assert!(plan.args.contains(&"kprobe_openat2:unsupported".to_owned()));
    assert!(plan.args.contains(&"opensnoop:unsupported".to_owned()));
}

#[test]
fn bpf_lsm_is_added_to_the_boot_lsm_list_only_when_missing() {
    let facts = KernelFacts::new(CONFIG_510, None);
    assert_eq!(
        facts.lsm_cmdline().as_deref(),
        Some("lsm=lockdown,yama,apparmor,bpf")
    );
    let with_bpf = KernelFacts::new("CONFIG_BPF_LSM=y\nCONFIG_LSM=\"yama,bpf\"\n", None);
    assert_eq!(with_bpf.lsm_cmdline(), None);
    let without = KernelFacts::new("# CONFIG_BPF_LSM is not set\nCONFIG_LSM=\"yama\"\n", None);
    assert_eq!(without.lsm_cmdline(), None);
}

#[test]
fn the_host_kernel_btf_answers_function_and_type_needs() {
    let btf = btf_rs::Btf::from_file("/sys/kernel/btf/vmlinux").expect("host BTF");
    let facts = KernelFacts::new("CONFIG_BPF_SYSCALL=y\nCONFIG_DEBUG_INFO_BTF=y\n", Some(btf));
    assert!(facts.missing(&[Need::BtfFunc("do_sys_openat2")]).is_empty());
    assert!(
        facts
            .missing(&[Need::BtfType("btf_trace_sched_switch")])
            .is_empty()
    );
    // 6.18 returns int from do_sys_openat2 (5.10-6.12 return long).
    assert_eq!(facts.return_size("do_sys_openat2"), Some(4));
    assert_eq!(facts.return_size("bccc_no_such_function"), None);
    // A struct is not a function, and a function is not a type.
    assert_eq!(facts.missing(&[Need::BtfFunc("task_struct")]).len(), 1);
    assert_eq!(facts.missing(&[Need::BtfType("do_sys_openat2")]).len(), 1);
}

#[test]
fn every_testdata_program_has_a_check() {
    let mut programs: Vec<String> = common::programs()
        .iter()
        .map(|p| {
            p.file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    programs.sort();
    let mut checks: Vec<&str> = CHECKS.iter().map(|c| c.name).collect();
    checks.sort_unstable();
    assert_eq!(
        programs, checks,
        "every testdata program must run in the VM matrix (CHECKS and driver.sh)"
    );
}
