//! Attach targets: an [`AttachSpec`] → the concrete thing to attach to on this machine (kernel
//! functions a regex expands to, the file and offset of a uprobe, ...), or the plain reason it
//! does not exist here. Used by `--preflight` and before every attach. Reads `/proc`, `/sys`,
//! tracefs and the probed binaries.

use std::cell::OnceCell;
use std::path::PathBuf;

use bccc_manifest::{AttachSpec, UprobeTarget};

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
    /// An attach kind this runtime cannot attach yet.
    #[error("{0} attach is not yet supported by the bccc runtime")]
    NotSupported(&'static str),
}

/// Kernel symbol files, read once per run and only if a kprobe or kfunc needs them.
#[derive(Default)]
pub struct KernelSymbols {
    kallsyms: OnceCell<String>,
    available: OnceCell<String>,
    blacklist: OnceCell<String>,
}

impl KernelSymbols {
    fn kallsyms(&self) -> &str {
        self.kallsyms.get_or_init(sys::kallsyms)
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
            if !ksyms::has_function(syms.kallsyms(), symbol) {
                return Err(TargetError::NoKernelFunction(symbol.clone()));
            }
            Ok(Target::Kprobes {
                symbols: vec![symbol.clone()],
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
            Ok(Target::Kfunc { symbol })
        }
        AttachSpec::PerfEvent { .. } => Err(TargetError::NotSupported("perf_event")),
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
