//! Attach targets: an [`AttachSpec`] → the concrete thing to attach to on this machine (kernel
//! functions a regex expands to, the file and offset of a uprobe, ...), or the plain reason it
//! does not exist here. Used by `--preflight` and before every attach. Reads `/proc`, `/sys`,
//! tracefs, the kernel's BTF and the probed binaries.

use std::cell::OnceCell;
use std::path::PathBuf;

use bccc_manifest::{AttachSpec, UprobeTarget};
use libbpf_rs::Btf;
use libbpf_rs::btf::types::Typedef;

use crate::ksyms;
use crate::sys;
use crate::userspace::{self, UserTargetError};

/// A target that exists on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `tracepoint:CAT:EVENT`.
    Tracepoint {
        /// Category.
        category: String,
        /// Event.
        event: String,
    },
    /// `raw_tracepoint:EVENT`.
    RawTracepoint {
        /// Event.
        event: String,
    },
    /// One or more kernel functions (a regex may expand to many).
    Kprobes {
        /// Function names.
        symbols: Vec<String>,
        /// At return.
        retprobe: bool,
    },
    /// A user-space function or address.
    Uprobe {
        /// The resolved file.
        path: PathBuf,
        /// File offset.
        offset: u64,
        /// At return.
        retprobe: bool,
    },
    /// A USDT probe.
    Usdt {
        /// The resolved file.
        path: PathBuf,
        /// Provider.
        provider: String,
        /// Probe.
        probe: String,
    },
    /// fentry / fexit.
    Kfunc {
        /// Kernel function.
        symbol: String,
    },
    /// A BTF-typed raw tracepoint (`tp_btf`): the kernel's BTF has `btf_trace_EVENT`.
    TpBtf {
        /// Event.
        event: String,
    },
}

/// Why a target does not exist or cannot be used here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// `CONFIG_KPROBES` is off (no kprobe PMU, no `kprobe_events`).
    #[error(
        "this kernel has no kprobe support (CONFIG_KPROBES is off), so kprobes cannot be attached here"
    )]
    NoKprobes,
    /// The kernel function is not in `/proc/kallsyms`.
    #[error("kernel function `{0}` does not exist on this kernel (not in /proc/kallsyms)")]
    NoKernelFunction(String),
    /// A `kprobe:re:` pattern matched no traceable function.
    #[error("no traceable kernel function matches `{0}`")]
    NoMatch(String),
    /// Bad `kprobe:re:` pattern.
    #[error(transparent)]
    BadPattern(#[from] ksyms::BadPattern),
    /// No tracefs format file for the tracepoint.
    #[error("tracepoint {0}:{1} does not exist on this kernel (no tracefs events/{0}/{1}/format)")]
    NoTracepoint(String, String),
    /// No raw tracepoint of that name.
    #[error("raw tracepoint `{0}` does not exist on this kernel")]
    NoRawTracepoint(String),
    /// The kernel's BTF has no `btf_trace_EVENT` typedef, which libbpf needs to attach a
    /// `tp_btf` program (the raw tracepoint may still exist: see `raw_tracepoint:`).
    #[error(
        "tracepoint `{0}` has no btf_trace_{0} type in this kernel's BTF ({vmlinux}), so it cannot be attached as tp_btf; a raw_tracepoint:{0} probe may still work",
        vmlinux = sys::VMLINUX_BTF
    )]
    NoBtfTracepoint(String),
    /// The kernel's BTF could not be read (`tp_btf` needs it).
    #[error("cannot read the kernel's BTF ({vmlinux}): {0}", vmlinux = sys::VMLINUX_BTF)]
    NoKernelBtf(String),
    /// Tracefs is not mounted.
    #[error("tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)")]
    NoTracefs,
    /// Binary, library or symbol missing.
    #[error(transparent)]
    User(#[from] UserTargetError),
    /// The binary has no such USDT probe.
    #[error("`{path}` has no USDT probe {provider}:{probe}")]
    NoUsdt {
        /// The file.
        path: String,
        /// Provider.
        provider: String,
        /// Probe.
        probe: String,
    },
    /// The kernel builds the BPF LSM in, but it is not in the active LSM list, so its hooks
    /// are never called: the program would attach and see nothing.
    #[error(
        "the BPF LSM is not active on this kernel (active: {0}), so LSM programs would never run; boot with lsm={0},bpf"
    )]
    LsmInactive(String),
    /// An attach kind this runtime cannot attach yet.
    #[error("{0} attach is not yet supported by the bccc runtime")]
    NotSupported(&'static str),
}

/// Kernel symbol files and BTF, read once per run and only if a kprobe, kfunc or `tp_btf` needs
/// them.
#[derive(Default)]
pub struct KernelSymbols {
    kallsyms: OnceCell<String>,
    available: OnceCell<String>,
    blacklist: OnceCell<String>,
    btf: OnceCell<Result<Btf<'static>, String>>,
}

impl KernelSymbols {
    fn kallsyms(&self) -> &str {
        self.kallsyms.get_or_init(sys::kallsyms)
    }

    /// Whether the running kernel's BTF has the `btf_trace_EVENT` typedef: what libbpf looks up
    /// to attach `SEC("tp_btf/EVENT")`, so its presence is the check that matches the attach.
    fn has_btf_tracepoint(&self, event: &str) -> Result<bool, TargetError> {
        let btf = self
            .btf
            .get_or_init(|| Btf::from_path(sys::VMLINUX_BTF).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| TargetError::NoKernelBtf(e.clone()))?;
        let name = format!("btf_trace_{event}");
        // A name with a NUL byte cannot be in BTF (and libbpf-rs would panic on it).
        Ok(!name.contains('\0') && btf.type_by_name::<Typedef<'_>>(&name).is_some())
    }
}

/// Resolves `spec` to a target that exists here.
pub fn resolve(spec: &AttachSpec, syms: &KernelSymbols) -> Result<Target, TargetError> {
    match spec {
        AttachSpec::Tracepoint { category, event } => {
            sys::tracefs().ok_or(TargetError::NoTracefs)?;
            sys::tracepoint_dir(category, event)
                .ok_or_else(|| TargetError::NoTracepoint(category.clone(), event.clone()))?;
            Ok(Target::Tracepoint {
                category: category.clone(),
                event: event.clone(),
            })
        }
        AttachSpec::RawTracepoint { event } => {
            if !sys::raw_tracepoint_exists(event) {
                return Err(TargetError::NoRawTracepoint(event.clone()));
            }
            Ok(Target::RawTracepoint {
                event: event.clone(),
            })
        }
        AttachSpec::Kprobe { symbol, retprobe } => {
            if !sys::kprobes_supported() {
                return Err(TargetError::NoKprobes);
            }
            // `kprobe__sys_openat` and `kprobe:sys_openat` mean this kernel's entry point.
            let symbol = ksyms::fix_syscall_fnname(syms.kallsyms(), symbol);
            if !ksyms::has_function(syms.kallsyms(), &symbol) {
                return Err(TargetError::NoKernelFunction(symbol));
            }
            Ok(Target::Kprobes {
                symbols: vec![symbol],
                retprobe: *retprobe,
            })
        }
        AttachSpec::KprobeRegex { regex, retprobe } => {
            if !sys::kprobes_supported() {
                return Err(TargetError::NoKprobes);
            }
            let available = syms.available.get_or_init(sys::available_filter_functions);
            let blacklist = syms.blacklist.get_or_init(sys::kprobe_blacklist);
            let symbols = ksyms::expand_regex(regex, syms.kallsyms(), available, blacklist)?;
            if symbols.is_empty() {
                return Err(TargetError::NoMatch(regex.clone()));
            }
            Ok(Target::Kprobes {
                symbols,
                retprobe: *retprobe,
            })
        }
        AttachSpec::Uprobe {
            binary,
            target,
            retprobe,
        } => {
            let path = userspace::resolve_binary(binary)?;
            let bytes = read_binary(&path)?;
            let offset = match target {
                UprobeTarget::Symbol(s) => userspace::symbol_offset(&bytes, &path, s)?,
                UprobeTarget::Address(a) => userspace::address_offset(&bytes, &path, *a)?,
            };
            Ok(Target::Uprobe {
                path,
                offset,
                retprobe: *retprobe,
            })
        }
        AttachSpec::Usdt {
            binary,
            provider,
            probe,
        } => {
            let path = userspace::resolve_binary(binary)?;
            let bytes = read_binary(&path)?;
            if !userspace::has_usdt(&bytes, &path, provider, probe)? {
                return Err(TargetError::NoUsdt {
                    path: path.display().to_string(),
                    provider: provider.clone(),
                    probe: probe.clone(),
                });
            }
            Ok(Target::Usdt {
                path,
                provider: provider.clone(),
                probe: probe.clone(),
            })
        }
        AttachSpec::Kfunc { symbol, .. } => {
            if !ksyms::has_function(syms.kallsyms(), symbol) {
                return Err(TargetError::NoKernelFunction(symbol.clone()));
            }
            Ok(Target::Kfunc {
                symbol: symbol.clone(),
            })
        }
        // LSM programs attach like fentry ones (by BTF id); the hook exists when the kernel
        // function that carries it does.
        AttachSpec::Lsm { hook } => {
            let symbol = format!("bpf_lsm_{hook}");
            if !ksyms::has_function(syms.kallsyms(), &symbol) {
                return Err(TargetError::NoKernelFunction(symbol));
            }
            // Unreadable when securityfs is not mounted: then the attach is all we can try.
            if let Ok(active) = std::fs::read_to_string(ACTIVE_LSMS) {
                lsm_active(&active)?;
            }
            Ok(Target::Kfunc { symbol })
        }
        AttachSpec::TpBtf { event } => {
            if !syms.has_btf_tracepoint(event)? {
                return Err(TargetError::NoBtfTracepoint(event.clone()));
            }
            Ok(Target::TpBtf {
                event: event.clone(),
            })
        }
        AttachSpec::PerfEvent { .. } => Err(TargetError::NotSupported("perf_event")),
    }
}

/// The kernel's active LSMs, in order, comma-separated (securityfs).
const ACTIVE_LSMS: &str = "/sys/kernel/security/lsm";

/// Whether `bpf` is among the active LSMs listed in `active` (the text of [`ACTIVE_LSMS`]).
fn lsm_active(active: &str) -> Result<(), TargetError> {
    let active = active.trim();
    if active.split(',').any(|l| l == "bpf") {
        Ok(())
    } else {
        Err(TargetError::LsmInactive(active.to_owned()))
    }
}

impl Target {
    /// What `--preflight` says about a target that exists.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Target::Tracepoint { category, event } => {
                format!("tracepoint {category}:{event} exists")
            }
            Target::RawTracepoint { event } => format!("raw tracepoint {event} exists"),
            Target::Kprobes { symbols, .. } if symbols.len() == 1 => {
                format!("kernel function {} exists", symbols[0])
            }
            Target::Kprobes { symbols, .. } => format!("{} kernel functions match", symbols.len()),
            Target::Uprobe { path, offset, .. } => format!("{} offset {offset:#x}", path.display()),
            Target::Usdt {
                path,
                provider,
                probe,
            } => format!("{} has USDT {provider}:{probe}", path.display()),
            Target::Kfunc { symbol } => format!("kernel function {symbol} exists"),
            Target::TpBtf { event } => {
                format!("{} has btf_trace_{event}", sys::VMLINUX_BTF)
            }
        }
    }
}

/// Reads a uprobe or USDT target binary.
fn read_binary(path: &std::path::Path) -> Result<Vec<u8>, UserTargetError> {
    std::fs::read(path).map_err(|e| UserTargetError::NotElf {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpf_lsm_must_be_active() {
        assert!(lsm_active("lockdown,capability,yama,bpf\n").is_ok());
        let err = lsm_active("lockdown,capability,yama,apparmor").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the BPF LSM is not active on this kernel (active: lockdown,capability,yama,apparmor), \
             so LSM programs would never run; boot with lsm=lockdown,capability,yama,apparmor,bpf"
        );
    }

    fn resolve_text(text: &str) -> Result<Target, TargetError> {
        resolve(&text.parse().unwrap(), &KernelSymbols::default())
    }

    #[test]
    fn targets_on_this_machine() {
        assert!(matches!(
            resolve_text("tracepoint:syscalls:sys_enter_openat"),
            Ok(Target::Tracepoint { .. })
        ));
        assert_eq!(
            resolve_text("tracepoint:syscalls:no_such_event"),
            Err(TargetError::NoTracepoint(
                "syscalls".into(),
                "no_such_event".into()
            ))
        );
        assert!(matches!(
            resolve_text("raw_tracepoint:sched_switch"),
            Ok(Target::RawTracepoint { .. })
        ));
        assert!(
            matches!(resolve_text("uprobe:c:malloc"), Ok(Target::Uprobe { offset, .. }) if offset > 0)
        );
        assert!(matches!(
            resolve_text("uprobe:c:no_such_fn_xyz"),
            Err(TargetError::User(UserTargetError::NoSymbol { .. }))
        ));
        assert_eq!(
            resolve_text("tp_btf:sched_process_exec"),
            Ok(Target::TpBtf {
                event: "sched_process_exec".into()
            })
        );
        assert_eq!(
            resolve_text("tp_btf:bccc_no_such_event"),
            Err(TargetError::NoBtfTracepoint("bccc_no_such_event".into()))
        );
        // A kernel function is a FUNC in BTF, not a btf_trace_ typedef.
        assert_eq!(
            resolve_text("tp_btf:do_nanosleep"),
            Err(TargetError::NoBtfTracepoint("do_nanosleep".into()))
        );
        assert_eq!(
            resolve_text("perf_event:sw:cpu-clock:freq=99"),
            Err(TargetError::NotSupported("perf_event"))
        );
        // This machine has CONFIG_KPROBES off; elsewhere the function exists.
        let kprobe = resolve_text("kprobe:do_sys_openat2");
        if sys::kprobes_supported() {
            assert!(kprobe.is_ok());
        } else {
            assert_eq!(kprobe, Err(TargetError::NoKprobes));
        }
    }
}
