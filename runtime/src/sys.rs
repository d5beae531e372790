//! What this machine offers, read from `/proc` and `/sys` only: privileges, kernel BTF, tracefs,
//! kprobe support, kernel symbols. The `/proc/self/status` parser is pure.

use std::path::{Path, PathBuf};

/// Path of the kernel's own BTF, which CO-RE needs.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The privileges that matter for loading and attaching BPF programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Privileges {
    /// Effective uid.
    pub euid: u32,
    /// Effective capability set.
    pub cap_eff: u64,
}

impl Privileges {
    /// Whether loading and attaching tracing programs is allowed: `CAP_BPF` and
    /// `CAP_PERFMON`, or `CAP_SYS_ADMIN` (older kernels), or root.
    #[must_use]
    pub fn sufficient(&self) -> bool {
        let has = |cap: u32| self.cap_eff & (1u64 << cap) != 0;
        (has(CAP_BPF) && has(CAP_PERFMON)) || has(CAP_SYS_ADMIN)
    }

    /// One line for `--preflight`.
    #[must_use]
    pub fn describe(&self) -> String {
        let who = if self.euid == 0 {
            "root".to_owned()
        } else {
            format!("uid {}", self.euid)
        };
        format!(
            "running as {who}, effective capabilities {:#x}",
            self.cap_eff
        )
    }
}

/// Parses the `Uid:` and `CapEff:` lines of `/proc/self/status`.
#[must_use]
pub fn parse_status(text: &str) -> Privileges {
    let mut p = Privileges {
        euid: u32::MAX,
        cap_eff: 0,
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Uid:") {
            p.euid = rest
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(u32::MAX);
        } else if let Some(rest) = line.strip_prefix("CapEff:") {
            p.cap_eff = u64::from_str_radix(rest.trim(), 16).unwrap_or(0);
        }
    }
    p
}

/// This process's privileges (none if `/proc` cannot be read).
#[must_use]
pub fn privileges() -> Privileges {
    std::fs::read_to_string("/proc/self/status")
        .map(|t| parse_status(&t))
        .unwrap_or_default()
}

/// Whether the kernel exposes its BTF.
#[must_use]
pub fn has_vmlinux_btf() -> bool {
    Path::new(VMLINUX_BTF).is_file()
}

/// The tracefs mount: `/sys/kernel/tracing`, else `/sys/kernel/debug/tracing`.
#[must_use]
pub fn tracefs() -> Option<PathBuf> {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.join("events").is_dir())
}

/// Whether this kernel can create kprobes at all (perf PMU or legacy tracefs interface).
#[must_use]
pub fn kprobes_supported() -> bool {
    Path::new("/sys/bus/event_source/devices/kprobe/type").exists()
        || tracefs().is_some_and(|t| t.join("kprobe_events").exists())
}

/// Reads a text file, empty when it cannot be read.
#[must_use]
pub fn read_text(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// `/proc/kallsyms`.
#[must_use]
pub fn kallsyms() -> String {
    read_text(Path::new("/proc/kallsyms"))
}

/// `<tracefs>/available_filter_functions` (empty without tracefs).
#[must_use]
pub fn available_filter_functions() -> String {
    tracefs()
        .map(|t| read_text(&t.join("available_filter_functions")))
        .unwrap_or_default()
}

/// The kprobe blacklist (`<debugfs>/kprobes/blacklist`), empty when absent.
#[must_use]
pub fn kprobe_blacklist() -> String {
    read_text(Path::new("/sys/kernel/debug/kprobes/blacklist"))
}

/// The directory of tracepoint `category:event` under tracefs, if it exists.
#[must_use]
pub fn tracepoint_dir(category: &str, event: &str) -> Option<PathBuf> {
    let dir = tracefs()?.join("events").join(category).join(event);
    dir.join("format").is_file().then_some(dir)
}

/// Whether a raw tracepoint named `event` exists (some tracefs category has it, or the kernel
/// BTF has its `btf_trace_<event>` typedef, which we approximate by the tracefs check).
#[must_use]
pub fn raw_tracepoint_exists(event: &str) -> bool {
    let Some(events) = tracefs().map(|t| t.join("events")) else {
        return false;
    };
    std::fs::read_dir(events).is_ok_and(|dirs| {
        dirs.filter_map(Result::ok)
            .any(|d| d.path().join(event).join("format").is_file())
    })
}

/// How many CPUs a Linux CPU list (`0-3,5,7-8`, as in `/sys/devices/system/cpu/online`) names;
/// `None` when it does not parse.
#[must_use]
pub fn count_cpu_list(text: &str) -> Option<u32> {
    let mut n = 0;
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        n += last.parse::<u32>().ok()?.checked_sub(first.parse().ok()?)? + 1;
    }
    Some(n)
}

/// The online CPU count (BCC's `bpf_num_cpus()`): from sysfs, else what the process may use.
#[must_use]
pub fn online_cpus() -> u32 {
    count_cpu_list(&read_text(Path::new("/sys/devices/system/cpu/online")))
        .filter(|n| *n > 0)
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .and_then(|n| u32::try_from(n.get()).ok())
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parsing_and_capability_rules() {
        let root = parse_status("Name:\tx\nUid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n");
        assert_eq!(root.euid, 0);
        assert!(root.sufficient());
        let bpf_only = parse_status("Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000008000000000\n");
        assert!(!bpf_only.sufficient(), "CAP_BPF without CAP_PERFMON");
        let both = parse_status("Uid:\t1000\t1000\t1000\t1000\nCapEff:\t000000c000000000\n");
        assert!(both.sufficient());
        assert!(!parse_status("").sufficient());
    }

    #[test]
    fn cpu_lists_count() {
        assert_eq!(count_cpu_list("0-3\n"), Some(4));
        assert_eq!(count_cpu_list("0,2-3,7"), Some(4));
        assert_eq!(count_cpu_list("0"), Some(1));
        assert_eq!(count_cpu_list("3-1"), None);
        assert_eq!(count_cpu_list("x"), None);
        assert!(online_cpus() >= 1);
    }

    #[test]
    fn this_machine_has_what_the_tests_need() {
        assert!(privileges().sufficient(), "tests run as root");
        assert!(has_vmlinux_btf());
        assert!(tracepoint_dir("syscalls", "sys_enter_openat").is_some());
        assert!(raw_tracepoint_exists("sched_switch"));
        assert!(!raw_tracepoint_exists("no_such_tracepoint_xyz"));
    }
}
