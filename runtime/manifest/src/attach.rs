//! The attach-spec syntax shared by `bccc build --attach SPEC` and `// bccc:attach SPEC`.
//!
//! ```text
//! kprobe:SYM=FN            kretprobe:SYM=FN          lsm:HOOK=FN          kprobe:re:REGEX=FN   kretprobe:re:REGEX=FN
//! tracepoint:CAT:EVENT=FN  raw_tracepoint:EVENT=FN   kfunc:SYM=FN         kretfunc:SYM=FN
//! tp_btf:EVENT=FN
//! uprobe:BINARY_OR_LIB:SYM=FN       uretprobe:BINARY_OR_LIB:SYM=FN   (SYM may be 0xADDR)
//! usdt:BINARY:PROVIDER:PROBE=FN
//! perf_event:TYPE:CONFIG:freq=N=FN  perf_event:TYPE:CONFIG:period=N=FN
//! ```
//! `=FN` names the C function to attach. In a source directive placed just before a function it
//! may be left out. This syntax is a public contract: tests outside the project use it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The prefixes kernels give syscall entry points, per architecture and ABI (BCC's list, in its
/// order): `sys_openat`, `__x64_sys_openat`, `__arm64_sys_openat`, ...
pub const SYSCALL_PREFIXES: [&str; 8] = [
    "sys_",
    "__x64_sys_",
    "__x32_compat_sys_",
    "__ia32_compat_sys_",
    "__arm64_sys_",
    "__s390x_sys_",
    "__s390_sys_",
    "__riscv_sys_",
];

/// The syscall a kernel function is an entry point of (`openat` for `__x64_sys_openat`), if its
/// name has one of [`SYSCALL_PREFIXES`].
#[must_use]
pub fn syscall_of(symbol: &str) -> Option<&str> {
    SYSCALL_PREFIXES
        .iter()
        .filter_map(|p| symbol.strip_prefix(p))
        .min_by_key(|rest| rest.len())
        .filter(|rest| !rest.is_empty())
}

/// Where and how one BPF program is attached.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttachSpec {
    /// `kprobe:SYM` (`retprobe` false) or `kretprobe:SYM` (true).
    Kprobe {
        /// Kernel function name.
        symbol: String,
        /// Attach at return.
        retprobe: bool,
    },
    /// `kprobe:re:REGEX`: every traceable kernel function whose whole name matches.
    KprobeRegex {
        /// The regular expression (Python `re.fullmatch` semantics, as BCC).
        regex: String,
        /// Attach at return.
        retprobe: bool,
    },
    /// `tracepoint:CAT:EVENT`.
    Tracepoint {
        /// Category (`syscalls`).
        category: String,
        /// Event (`sys_enter_openat`).
        event: String,
    },
    /// `raw_tracepoint:EVENT`.
    RawTracepoint {
        /// Event name (`sched_switch`).
        event: String,
    },
    /// `uprobe:BINARY_OR_LIB:SYM` or `uretprobe:...`.
    Uprobe {
        /// A path, or a library name as BCC accepts it (`c`, `libc.so.6`).
        binary: String,
        /// Symbol or address.
        target: UprobeTarget,
        /// Attach at return.
        retprobe: bool,
    },
    /// `usdt:BINARY:PROVIDER:PROBE`.
    Usdt {
        /// Path of the binary or library with the `.note.stapsdt` notes.
        binary: String,
        /// Provider name.
        provider: String,
        /// Probe name.
        probe: String,
    },
    /// `perf_event:TYPE:CONFIG:freq=N` or `:period=N`, opened on every online CPU.
    PerfEvent {
        /// `perf_event_attr.type` (`hardware`/`hw` = 0, `software`/`sw` = 1, or a number).
        event_type: u32,
        /// `perf_event_attr.config` (a name such as `cpu-clock`, or a number).
        config: u64,
        /// Sampling by frequency or period.
        sample: PerfSample,
    },
    /// `kfunc:SYM` (fentry) or `kretfunc:SYM` (fexit).
    Kfunc {
        /// Kernel function name.
        symbol: String,
        /// fexit instead of fentry.
        ret: bool,
    },
    /// `lsm:HOOK`: a BPF LSM program on the security hook `HOOK` (`LSM_PROBE`).
    Lsm {
        /// Hook name without the `bpf_lsm_` prefix (`bprm_check_security`).
        hook: String,
    },
    /// `tp_btf:EVENT`: a BTF-typed raw tracepoint (`SEC("tp_btf/EVENT")`), whose arguments are
    /// the tracepoint's `TP_PROTO` arguments, read directly through BTF.
    TpBtf {
        /// Event name (`sched_process_exec`), as in the kernel's `btf_trace_EVENT` typedef.
        event: String,
    },
}

/// What a uprobe attaches to inside its binary.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UprobeTarget {
    /// A symbol, resolved by the runtime.
    Symbol(String),
    /// A file offset or virtual address (`0x...`).
    Address(u64),
}

/// How a perf event samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PerfSample {
    /// Samples per second.
    Freq(u64),
    /// Events per sample.
    Period(u64),
}

/// Why an attach spec did not parse. The message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AttachParseError {
    /// What was wrong, in words.
    pub message: String,
    /// A template of the expected form, for a help line.
    pub expected: &'static str,
}

fn err(message: impl Into<String>, expected: &'static str) -> AttachParseError {
    AttachParseError {
        message: message.into(),
        expected,
    }
}

const SOFTWARE: &[(&str, u64)] = &[
    ("cpu-clock", 0),
    ("task-clock", 1),
    ("page-faults", 2),
    ("faults", 2),
    ("context-switches", 3),
    ("cs", 3),
    ("cpu-migrations", 4),
    ("migrations", 4),
    ("minor-faults", 5),
    ("major-faults", 6),
    ("alignment-faults", 7),
    ("emulation-faults", 8),
    ("dummy", 9),
    ("bpf-output", 10),
];

const HARDWARE: &[(&str, u64)] = &[
    ("cpu-cycles", 0),
    ("cycles", 0),
    ("instructions", 1),
    ("cache-references", 2),
    ("cache-misses", 3),
    ("branch-instructions", 4),
    ("branches", 4),
    ("branch-misses", 5),
    ("bus-cycles", 6),
    ("stalled-cycles-frontend", 7),
    ("stalled-cycles-backend", 8),
    ("ref-cycles", 9),
];

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn parse_number(s: &str) -> Option<u64> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else {
        s.parse().ok()
    }
}

fn non_empty<'a>(
    part: Option<&'a str>,
    what: &str,
    expected: &'static str,
) -> Result<&'a str, AttachParseError> {
    match part {
        Some(p) if !p.is_empty() => Ok(p),
        _ => Err(err(format!("missing {what}"), expected)),
    }
}

impl AttachSpec {
    /// Parses `SPEC[=FN]`, returning the spec and the function name if one was given.
    ///
    /// The function name is what follows the last `=`, when that is a C identifier; so
    /// `perf_event:sw:cpu-clock:freq=99` has no function name and `...:freq=99=on_tick` has one.
    pub fn parse_with_fn(text: &str) -> Result<(AttachSpec, Option<String>), AttachParseError> {
        let text = text.trim();
        let (spec, func) = match text.rsplit_once('=') {
            Some((spec, func)) if is_ident(func) => (spec, Some(func.to_owned())),
            _ => (text, None),
        };
        Ok((spec.parse()?, func))
    }

    /// The BCC name of this attach kind (`kprobe`, `tracepoint`, ...), as written in the syntax.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            AttachSpec::Kprobe {
                retprobe: false, ..
            }
            | AttachSpec::KprobeRegex {
                retprobe: false, ..
            } => "kprobe",
            AttachSpec::Kprobe { retprobe: true, .. }
            | AttachSpec::KprobeRegex { retprobe: true, .. } => "kretprobe",
            AttachSpec::Tracepoint { .. } => "tracepoint",
            AttachSpec::RawTracepoint { .. } => "raw_tracepoint",
            AttachSpec::Uprobe {
                retprobe: false, ..
            } => "uprobe",
            AttachSpec::Uprobe { retprobe: true, .. } => "uretprobe",
            AttachSpec::Usdt { .. } => "usdt",
            AttachSpec::PerfEvent { .. } => "perf_event",
            AttachSpec::Kfunc { ret: false, .. } => "kfunc",
            AttachSpec::Kfunc { ret: true, .. } => "kretfunc",
            AttachSpec::Lsm { .. } => "lsm",
            AttachSpec::TpBtf { .. } => "tp_btf",
        }
    }
}

impl std::str::FromStr for AttachSpec {
    type Err = AttachParseError;

    /// Parses a spec without `=FN`.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (kind, rest) = spec.split_once(':').ok_or_else(|| {
            err(
                format!("`{spec}` has no attach kind"),
                "KIND:TARGET=FN, e.g. tracepoint:sched:sched_switch=on_switch",
            )
        })?;
        match kind {
            "kprobe" | "kretprobe" => {
                const EXPECTED: &str = "kprobe:SYM=FN or kprobe:re:REGEX=FN";
                let retprobe = kind == "kretprobe";
                if let Some(regex) = rest.strip_prefix("re:") {
                    let regex = non_empty(Some(regex), "regular expression", EXPECTED)?;
                    return Ok(AttachSpec::KprobeRegex {
                        regex: regex.to_owned(),
                        retprobe,
                    });
                }
                let symbol = non_empty(Some(rest), "kernel function", EXPECTED)?;
                Ok(AttachSpec::Kprobe {
                    symbol: symbol.to_owned(),
                    retprobe,
                })
            }
            "tracepoint" => {
                const EXPECTED: &str = "tracepoint:CATEGORY:EVENT=FN";
                let mut parts = rest.splitn(2, ':');
                let category = non_empty(parts.next(), "tracepoint category", EXPECTED)?;
                let event = non_empty(parts.next(), "tracepoint event", EXPECTED)?;
                Ok(AttachSpec::Tracepoint {
                    category: category.to_owned(),
                    event: event.to_owned(),
                })
            }
            "raw_tracepoint" | "raw_tp" => {
                let event =
                    non_empty(Some(rest), "raw tracepoint name", "raw_tracepoint:EVENT=FN")?;
                Ok(AttachSpec::RawTracepoint {
                    event: event.to_owned(),
                })
            }
            "uprobe" | "uretprobe" => {
                const EXPECTED: &str = "uprobe:BINARY_OR_LIB:SYM=FN";
                let (binary, sym) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| err("missing symbol after the binary", EXPECTED))?;
                let binary = non_empty(Some(binary), "binary or library", EXPECTED)?;
                let sym = non_empty(Some(sym), "symbol", EXPECTED)?;
                let target = match sym
                    .strip_prefix("0x")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                {
                    Some(addr) => UprobeTarget::Address(addr),
                    None => UprobeTarget::Symbol(sym.to_owned()),
                };
                Ok(AttachSpec::Uprobe {
                    binary: binary.to_owned(),
                    target,
                    retprobe: kind == "uretprobe",
                })
            }
            "usdt" => {
                const EXPECTED: &str = "usdt:BINARY:PROVIDER:PROBE=FN";
                let mut parts = rest.rsplitn(3, ':');
                let probe = non_empty(parts.next(), "probe name", EXPECTED)?;
                let provider = non_empty(parts.next(), "provider", EXPECTED)?;
                let binary = non_empty(parts.next(), "binary", EXPECTED)?;
                Ok(AttachSpec::Usdt {
                    binary: binary.to_owned(),
                    provider: provider.to_owned(),
                    probe: probe.to_owned(),
                })
            }
            "perf_event" => parse_perf_event(rest),
            "lsm" => {
                let hook = non_empty(Some(rest), "LSM hook", "lsm:HOOK=FN")?;
                Ok(AttachSpec::Lsm {
                    hook: hook.to_owned(),
                })
            }
            "tp_btf" => {
                let event = non_empty(Some(rest), "tracepoint name", "tp_btf:EVENT=FN")?;
                if event.contains(':') {
                    return Err(err(
                        format!("`{event}` is not a bare tracepoint name (no category)"),
                        "tp_btf:EVENT=FN, e.g. tp_btf:sched_process_exec=on_exec",
                    ));
                }
                Ok(AttachSpec::TpBtf {
                    event: event.to_owned(),
                })
            }
            "kfunc" | "kretfunc" | "fentry" | "fexit" => {
                let symbol = non_empty(Some(rest), "kernel function", "kfunc:SYM=FN")?;
                Ok(AttachSpec::Kfunc {
                    symbol: symbol.to_owned(),
                    ret: matches!(kind, "kretfunc" | "fexit"),
                })
            }
            other => Err(err(
                format!("unknown attach kind `{other}`"),
                "one of kprobe, kretprobe, tracepoint, raw_tracepoint, tp_btf, uprobe, uretprobe, usdt, perf_event, kfunc, kretfunc, lsm",
            )),
        }
    }
}

fn parse_perf_event(rest: &str) -> Result<AttachSpec, AttachParseError> {
    const EXPECTED: &str = "perf_event:TYPE:CONFIG:freq=N=FN or perf_event:TYPE:CONFIG:period=N=FN";
    let mut parts = rest.splitn(3, ':');
    let ty = non_empty(parts.next(), "perf event type", EXPECTED)?;
    let config = non_empty(parts.next(), "perf event config", EXPECTED)?;
    let sample = non_empty(parts.next(), "freq=N or period=N", EXPECTED)?;
    let (event_type, names): (u32, &[(&str, u64)]) = match ty {
        "hardware" | "hw" => (0, HARDWARE),
        "software" | "sw" => (1, SOFTWARE),
        other => match parse_number(other) {
            Some(n) => (n as u32, &[]),
            None => {
                return Err(err(
                    format!("unknown perf event type `{other}`"),
                    "hardware, software, or a number",
                ));
            }
        },
    };
    let config = names
        .iter()
        .find(|(name, _)| *name == config)
        .map(|(_, v)| *v)
        .or_else(|| parse_number(config))
        .ok_or_else(|| {
            err(
                format!("unknown perf event config `{config}`"),
                "a name such as cpu-clock or cpu-cycles, or a number",
            )
        })?;
    let sample = match sample.split_once('=') {
        Some(("freq", n)) => PerfSample::Freq(
            parse_number(n).ok_or_else(|| err(format!("bad frequency `{n}`"), EXPECTED))?,
        ),
        Some(("period", n)) => PerfSample::Period(
            parse_number(n).ok_or_else(|| err(format!("bad period `{n}`"), EXPECTED))?,
        ),
        _ => {
            return Err(err(
                format!("expected freq=N or period=N, found `{sample}`"),
                EXPECTED,
            ));
        }
    };
    Ok(AttachSpec::PerfEvent {
        event_type,
        config,
        sample,
    })
}

impl fmt::Display for AttachSpec {
    /// Prints the spec in the syntax [`AttachSpec::parse_with_fn`] reads (without `=FN`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind_name();
        match self {
            AttachSpec::Kprobe { symbol, .. } | AttachSpec::Kfunc { symbol, .. } => {
                write!(f, "{kind}:{symbol}")
            }
            AttachSpec::KprobeRegex { regex, .. } => write!(f, "{kind}:re:{regex}"),
            AttachSpec::Tracepoint { category, event } => write!(f, "{kind}:{category}:{event}"),
            AttachSpec::Lsm { hook } => write!(f, "{kind}:{hook}"),
            AttachSpec::RawTracepoint { event } | AttachSpec::TpBtf { event } => {
                write!(f, "{kind}:{event}")
            }
            AttachSpec::Uprobe {
                binary,
                target: UprobeTarget::Symbol(s),
                ..
            } => write!(f, "{kind}:{binary}:{s}"),
            AttachSpec::Uprobe {
                binary,
                target: UprobeTarget::Address(a),
                ..
            } => write!(f, "{kind}:{binary}:{a:#x}"),
            AttachSpec::Usdt {
                binary,
                provider,
                probe,
            } => write!(f, "{kind}:{binary}:{provider}:{probe}"),
            AttachSpec::PerfEvent {
                event_type,
                config,
                sample,
            } => {
                let (sample_kind, n) = match sample {
                    PerfSample::Freq(n) => ("freq", n),
                    PerfSample::Period(n) => ("period", n),
                };
                write!(f, "{kind}:{event_type}:{config}:{sample_kind}={n}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (AttachSpec, Option<String>) {
        AttachSpec::parse_with_fn(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_documented_form_parses_and_round_trips() {
        let cases = [
            ("kprobe:do_sys_openat2=on_open", "kprobe:do_sys_openat2"),
            (
                "kretprobe:do_sys_openat2=on_ret",
                "kretprobe:do_sys_openat2",
            ),
            (
                "kprobe:re:^vfs_(read|write)$=on_vfs",
                "kprobe:re:^vfs_(read|write)$",
            ),
            (
                "tracepoint:syscalls:sys_enter_openat=f",
                "tracepoint:syscalls:sys_enter_openat",
            ),
            (
                "raw_tracepoint:sched_switch=f",
                "raw_tracepoint:sched_switch",
            ),
            (
                "uprobe:/usr/bin/bash:readline=f",
                "uprobe:/usr/bin/bash:readline",
            ),
            ("uretprobe:c:malloc=f", "uretprobe:c:malloc"),
            ("uprobe:/bin/x:0x1234=f", "uprobe:/bin/x:0x1234"),
            (
                "usdt:/usr/bin/python3:python:function__entry=f",
                "usdt:/usr/bin/python3:python:function__entry",
            ),
            (
                "perf_event:sw:cpu-clock:freq=99=f",
                "perf_event:1:0:freq=99",
            ),
            (
                "perf_event:hardware:cycles:period=100000=f",
                "perf_event:0:0:period=100000",
            ),
            ("kfunc:vfs_read=f", "kfunc:vfs_read"),
            ("kretfunc:vfs_read=f", "kretfunc:vfs_read"),
            ("lsm:bprm_check_security=f", "lsm:bprm_check_security"),
            (
                "tp_btf:sched_process_exec=on_exec",
                "tp_btf:sched_process_exec",
            ),
        ];
        for (text, shown) in cases {
            let (spec, func) = parse(text);
            assert_eq!(
                func.as_deref(),
                Some(text.rsplit('=').next().unwrap()),
                "{text}"
            );
            assert_eq!(spec.to_string(), shown, "{text}");
            assert_eq!(parse(shown).0, spec, "{shown} round trip");
        }
    }

    #[test]
    fn tp_btf_spec_serializes_with_its_kind() {
        let (spec, func) = parse("tp_btf:sched_process_exec=on_exec");
        assert_eq!(
            spec,
            AttachSpec::TpBtf {
                event: "sched_process_exec".into()
            }
        );
        assert_eq!(func.as_deref(), Some("on_exec"));
        assert_eq!(spec.kind_name(), "tp_btf");
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(json, r#"{"kind":"tp_btf","event":"sched_process_exec"}"#);
        assert_eq!(serde_json::from_str::<AttachSpec>(&json).unwrap(), spec);
        let e = AttachSpec::parse_with_fn("tp_btf:").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.expected),
            ("missing tracepoint name", "tp_btf:EVENT=FN")
        );
    }

    #[test]
    fn function_name_is_optional() {
        assert_eq!(parse("perf_event:sw:cpu-clock:freq=99").1, None);
        assert_eq!(parse("tracepoint:sched:sched_switch").1, None);
    }

    #[test]
    fn bad_specs_say_what_was_expected() {
        for bad in [
            "kprobe",
            "tracepoint:sched",
            "bogus:x=f",
            "uprobe:readline=f",
            "perf_event:sw:nope:freq=1=f",
            "perf_event:sw:cpu-clock:every=3",
            "tp_btf:",
            "tp_btf:sched:sched_process_exec=f",
        ] {
            let e = AttachSpec::parse_with_fn(bad).expect_err(bad);
            assert!(!e.message.is_empty() && !e.expected.is_empty(), "{bad}");
        }
    }
}
