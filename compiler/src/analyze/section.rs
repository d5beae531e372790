//! A program's ELF section as a typed value: its kind and, for kinds that name one target in the
//! section, that target. [`Section`]'s `Display` is the `SEC("...")` text libbpf reads; nothing
//! parses that text back.

use std::fmt;

use bccc_manifest::AttachSpec;

/// What kind of BPF program a section holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// `kprobe[/SYM]`
    Kprobe,
    /// `kretprobe[/SYM]`
    Kretprobe,
    /// `uprobe` (attached by the runtime to binaries and offsets)
    Uprobe,
    /// `uretprobe`
    Uretprobe,
    /// `tracepoint/CAT/EVENT`
    Tracepoint,
    /// `raw_tp/EVENT`
    RawTracepoint,
    /// `tp_btf/EVENT`
    TpBtf,
    /// `fentry/SYM`
    Fentry,
    /// `fexit/SYM`
    Fexit,
    /// `lsm/HOOK`
    Lsm,
}

impl SectionKind {
    /// The section's first component, as libbpf spells it.
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            SectionKind::Kprobe => "kprobe",
            SectionKind::Kretprobe => "kretprobe",
            SectionKind::Uprobe => "uprobe",
            SectionKind::Uretprobe => "uretprobe",
            SectionKind::Tracepoint => "tracepoint",
            SectionKind::RawTracepoint => "raw_tp",
            SectionKind::TpBtf => "tp_btf",
            SectionKind::Fentry => "fentry",
            SectionKind::Fexit => "fexit",
            SectionKind::Lsm => "lsm",
        }
    }

    /// BTF-typed programs: `BPF_PROG` arguments, verified against one kernel function's (hook's,
    /// tracepoint's) prototype, kernel memory read directly.
    #[must_use]
    pub fn is_btf(self) -> bool {
        matches!(
            self,
            SectionKind::TpBtf | SectionKind::Fentry | SectionKind::Fexit | SectionKind::Lsm
        )
    }

    /// Programs whose context is `struct pt_regs *` and whose extra parameters come from
    /// registers (kprobes and uprobes share the kernel's kprobe program type).
    #[must_use]
    pub fn is_pt_regs(self) -> bool {
        self.family() == "kprobe"
    }

    /// Programs whose pointers point into user memory.
    #[must_use]
    pub fn is_user(self) -> bool {
        matches!(self, SectionKind::Uprobe | SectionKind::Uretprobe)
    }

    /// The kernel program type's family: sections of one family can be one program attached in
    /// several ways (a kprobe program attached as a uprobe too).
    #[must_use]
    pub fn family(self) -> &'static str {
        match self {
            SectionKind::Kprobe
            | SectionKind::Kretprobe
            | SectionKind::Uprobe
            | SectionKind::Uretprobe => "kprobe",
            other => other.prefix(),
        }
    }
}

/// A program's ELF section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Section {
    /// The program kind.
    pub kind: SectionKind,
    /// What the section names after the kind (`syscalls/sys_enter_openat`, `do_nanosleep`), if
    /// anything: a program attached to several targets has a bare `kprobe` section.
    pub target: Option<String>,
}

impl Section {
    /// `kind/target`.
    #[must_use]
    pub fn new(kind: SectionKind, target: impl Into<String>) -> Section {
        Section {
            kind,
            target: Some(target.into()),
        }
    }

    /// The bare `kind` section.
    #[must_use]
    pub fn bare(kind: SectionKind) -> Section {
        Section { kind, target: None }
    }

    /// The section a function attached by `spec` (a directive or `--attach`) gets, or `None` for
    /// kinds bccc cannot build yet. Kinds the runtime attaches to targets of its choosing get a
    /// bare section; kinds verified against one kernel target name it.
    #[must_use]
    pub fn for_spec(spec: &AttachSpec) -> Option<Section> {
        Some(match spec {
            AttachSpec::Kprobe { retprobe, .. } | AttachSpec::KprobeRegex { retprobe, .. } => {
                Section::bare(if *retprobe {
                    SectionKind::Kretprobe
                } else {
                    SectionKind::Kprobe
                })
            }
            AttachSpec::Uprobe { retprobe, .. } => Section::bare(if *retprobe {
                SectionKind::Uretprobe
            } else {
                SectionKind::Uprobe
            }),
            AttachSpec::Tracepoint { category, event } => {
                Section::new(SectionKind::Tracepoint, format!("{category}/{event}"))
            }
            AttachSpec::RawTracepoint { event } => Section::new(SectionKind::RawTracepoint, event),
            AttachSpec::Kfunc { symbol, ret } => Section::new(
                if *ret {
                    SectionKind::Fexit
                } else {
                    SectionKind::Fentry
                },
                symbol,
            ),
            AttachSpec::Lsm { hook } => Section::new(SectionKind::Lsm, hook),
            AttachSpec::TpBtf { event } => Section::new(SectionKind::TpBtf, event),
            AttachSpec::Usdt { .. } | AttachSpec::PerfEvent { .. } => return None,
        })
    }

    /// Whether one function can be both `self` and `other`: same program type family, and for
    /// BTF programs (verified against one target) the same target.
    #[must_use]
    pub fn compatible(&self, other: &Section) -> bool {
        self.kind.family() == other.kind.family() && (!self.kind.is_btf() || self == other)
    }

    /// How a conflict names `self` next to `other`: the whole section when both are of one
    /// family (two BTF targets), else the family.
    #[must_use]
    pub fn conflict_name(&self, other: &Section) -> String {
        if self.kind.family() == other.kind.family() {
            self.to_string()
        } else {
            self.kind.family().to_owned()
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Some(t) => write!(f, "{}/{t}", self.kind.prefix()),
            None => f.write_str(self.kind.prefix()),
        }
    }
}

impl serde::Serialize for Section {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_sec_text() {
        let tp = Section::new(SectionKind::Tracepoint, "syscalls/sys_enter_openat");
        assert_eq!(tp.to_string(), "tracepoint/syscalls/sys_enter_openat");
        assert_eq!(
            Section::bare(SectionKind::Uretprobe).to_string(),
            "uretprobe"
        );
        assert_eq!(
            Section::new(SectionKind::RawTracepoint, "sched_switch").to_string(),
            "raw_tp/sched_switch"
        );
    }

    #[test]
    fn compatibility_follows_program_types() {
        let kp = Section::new(SectionKind::Kprobe, "do_nanosleep");
        assert!(kp.compatible(&Section::bare(SectionKind::Uprobe)));
        assert!(!kp.compatible(&Section::new(SectionKind::Fentry, "do_nanosleep")));
        let fentry = Section::new(SectionKind::Fentry, "a");
        assert!(!fentry.compatible(&Section::new(SectionKind::Fentry, "b")));
        assert!(fentry.compatible(&fentry.clone()));
        assert_eq!(
            fentry.conflict_name(&Section::new(SectionKind::Fentry, "b")),
            "fentry/a"
        );
        assert_eq!(kp.conflict_name(&fentry), "kprobe");
    }
}
