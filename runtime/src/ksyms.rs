//! Kernel function lookup for kprobes: the text of `/proc/kallsyms`,
//! `<tracefs>/available_filter_functions` and the kprobe blacklist → the functions a kprobe
//! can attach to, and `kprobe:re:` expansion with BCC's `get_kprobe_functions` rules (spec D.2).
//! Pure: callers read the files.

use std::collections::BTreeSet;

/// Why a `kprobe:re:` pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{pattern}` is not a valid regular expression: {reason}")]
pub struct BadPattern {
    /// The pattern as written.
    pub pattern: String,
    /// What the regex engine said.
    pub reason: String,
}

/// Names in `available_filter_functions` (first word of each line; later words name modules).
#[must_use]
pub fn filter_functions(text: &str) -> BTreeSet<&str> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// Names in `<debugfs>/kprobes/blacklist` (`0xSTART-0xEND\tname` lines).
#[must_use]
pub fn blacklist(text: &str) -> BTreeSet<&str> {
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect()
}

/// Whether `name` is a GCC `.cold` / `.cold.N` split-off, which cannot be probed.
fn is_cold(name: &str) -> bool {
    match name.rfind(".cold") {
        Some(i) => {
            let rest = &name[i + 5..];
            rest.is_empty()
                || rest
                    .strip_prefix('.')
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        }
        None => false,
    }
}

/// Where a kallsyms walk is relative to the sections BCC skips.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    Before,
    Inside,
    After,
}

/// Text functions of `kallsyms` that BCC would consider for a kprobe, in file order: types
/// t/T/w/W, outside `__init_begin..__init_end` and `__irqentry_text_start..__irqentry_text_end`,
/// without the `_kbl_addr_`, `__perf`, `perf_`, `__SCT__` prefixes or a `.cold` suffix.
#[must_use]
pub fn probe_candidates(kallsyms: &str) -> Vec<&str> {
    let (mut init, mut irq) = (Region::Before, Region::Before);
    let mut out = Vec::new();
    for line in kallsyms.lines() {
        let mut words = line.split_whitespace().skip(1);
        let (Some(kind), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        match init {
            Region::Before if name == "__init_begin" => {
                init = Region::Inside;
                continue;
            }
            Region::Inside => {
                if name == "__init_end" {
                    init = Region::After;
                }
                continue;
            }
            _ => {}
        }
        match irq {
            // `__irqentry_text_end` may come first when the section is empty.
            Region::Before if name == "__irqentry_text_start" || name == "__irqentry_text_end" => {
                irq = if name == "__irqentry_text_start" {
                    Region::Inside
                } else {
                    Region::After
                };
                continue;
            }
            Region::Inside => {
                if name == "__irqentry_text_end" {
                    irq = Region::After;
                }
                continue;
            }
            _ => {}
        }
        let skipped = ["_kbl_addr_", "__perf", "perf_", "__SCT__"]
            .iter()
            .any(|p| name.starts_with(p))
            || is_cold(name);
        if !skipped && matches!(kind, "t" | "T" | "w" | "W") {
            out.push(name);
        }
    }
    out
}

/// Expands `kprobe:re:PATTERN` (Python `re.fullmatch` semantics): candidates that match the
/// whole name, are in `available` and not in `blacklisted`; sorted, without duplicates.
pub fn expand_regex(
    pattern: &str,
    kallsyms: &str,
    available: &str,
    blacklisted: &str,
) -> Result<Vec<String>, BadPattern> {
    let re = regex_lite::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| BadPattern {
        pattern: pattern.to_owned(),
        reason: e.to_string(),
    })?;
    let available = filter_functions(available);
    let blacklisted = blacklist(blacklisted);
    let found: BTreeSet<&str> = probe_candidates(kallsyms)
        .into_iter()
        .filter(|n| re.is_match(n) && available.contains(n) && !blacklisted.contains(n))
        .collect();
    Ok(found.into_iter().map(str::to_owned).collect())
}

/// Whether `kallsyms` lists `name` as a text symbol.
#[must_use]
pub fn has_function(kallsyms: &str, name: &str) -> bool {
    kallsyms.lines().any(|l| {
        let mut w = l.split_whitespace().skip(1);
        matches!((w.next(), w.next()), (Some("t" | "T" | "w" | "W"), Some(n)) if n == name)
    })
}

/// The syscall entry point of this kernel for a name written for any kernel (BCC's
/// `fix_syscall_fnname`): `sys_openat` or `__arm64_sys_openat` becomes `__x64_sys_openat` on an
/// x86-64 kernel with syscall wrappers. This kernel's prefix is the first whose `bpf` syscall is
/// in kallsyms. Other names are returned as they are.
#[must_use]
pub fn fix_syscall_fnname(kallsyms: &str, name: &str) -> String {
    let Some(rest) = bccc_manifest::syscall_of(name) else {
        return name.to_owned();
    };
    match bccc_manifest::SYSCALL_PREFIXES
        .iter()
        .find(|p| has_function(kallsyms, &format!("{p}bpf")))
    {
        Some(prefix) => format!("{prefix}{rest}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_names_follow_this_kernels_prefix() {
        let x64 = "ffffffff81001000 T __x64_sys_bpf\nffffffff81002000 T __x64_sys_openat\n";
        assert_eq!(fix_syscall_fnname(x64, "sys_openat"), "__x64_sys_openat");
        assert_eq!(
            fix_syscall_fnname(x64, "__arm64_sys_openat"),
            "__x64_sys_openat"
        );
        assert_eq!(
            fix_syscall_fnname(x64, "__x64_sys_openat"),
            "__x64_sys_openat"
        );
        assert_eq!(fix_syscall_fnname(x64, "do_sys_openat2"), "do_sys_openat2");
        let old = "ffffffff81001000 T sys_bpf\n";
        assert_eq!(fix_syscall_fnname(old, "__x64_sys_openat"), "sys_openat");
    }

    const KALLSYMS: &str = "\
ffffffff81000000 T _stext
ffffffff81001000 T vfs_read
ffffffff81001100 T vfs_write
ffffffff81001200 t finish_task_switch.isra.0
ffffffff81001300 t finish_task_switch.cold
ffffffff81001400 T perf_event_open
ffffffff81001500 D vfs_data
ffffffff81001600 T __irqentry_text_start
ffffffff81001700 T irq_fn
ffffffff81001800 T __irqentry_text_end
ffffffff81001900 T __init_begin
ffffffff81001a00 T init_fn
ffffffff81001b00 T __init_end
ffffffff81001c00 T vfs_readv
ffffffff81001d00 T lookup_fast.constprop.0
ffffffff81001e00 t mod_fn	[ext4]
";

    const AVAILABLE: &str = "vfs_read\nvfs_write\nfinish_task_switch.isra.0\nfinish_task_switch.cold\nperf_event_open\nirq_fn\ninit_fn\nvfs_readv\nlookup_fast.constprop.0\nmod_fn [ext4]\n";

    #[test]
    fn fullmatch_with_bcc_skip_rules() {
        let got = expand_regex("vfs_.*", KALLSYMS, AVAILABLE, "").unwrap();
        assert_eq!(got, ["vfs_read", "vfs_readv", "vfs_write"]);
        let got = expand_regex("vfs_read", KALLSYMS, AVAILABLE, "").unwrap();
        assert_eq!(got, ["vfs_read"], "fullmatch, not prefix");
        let got = expand_regex(
            r"^finish_task_switch$|^finish_task_switch\.isra\.\d$",
            KALLSYMS,
            AVAILABLE,
            "",
        )
        .unwrap();
        assert_eq!(got, ["finish_task_switch.isra.0"]);
        for skipped in [
            "irq_fn",
            "init_fn",
            "perf_event_open",
            "finish_task_switch.cold",
            "vfs_data",
        ] {
            assert!(
                expand_regex(&regex_lite::escape(skipped), KALLSYMS, AVAILABLE, "")
                    .unwrap()
                    .is_empty(),
                "{skipped}"
            );
        }
        assert_eq!(
            expand_regex("mod_.*", KALLSYMS, AVAILABLE, "").unwrap(),
            ["mod_fn"]
        );
        let black = "0xffffffff81001000-0xffffffff81001010\tvfs_read\n";
        assert_eq!(
            expand_regex("vfs_read.*", KALLSYMS, AVAILABLE, black).unwrap(),
            ["vfs_readv"]
        );
        assert_eq!(
            expand_regex("vfs_write", KALLSYMS, "vfs_read\n", "").unwrap(),
            Vec::<String>::new()
        );
        assert!(expand_regex("(", KALLSYMS, AVAILABLE, "").is_err());
    }

    #[test]
    fn function_presence() {
        assert!(has_function(KALLSYMS, "vfs_read"));
        assert!(!has_function(KALLSYMS, "vfs_data"));
        assert!(!has_function(KALLSYMS, "vfs_rea"));
    }
}
