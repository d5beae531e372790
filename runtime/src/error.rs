//! Every way a built tool can fail after its arguments parsed, each as one clear message
//! (the `Display` text) naming the probe and the source line where there is one.

use std::fmt::Write as _;

use crate::cli::ParamError;
use crate::targets::TargetError;

/// A probe as the user knows it: the C function and where it is in their file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRef {
    /// C function name.
    pub program: String,
    /// `file.c:LINE`, or empty when unknown.
    pub loc: String,
}

impl std::fmt::Display for ProbeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.loc.is_empty() {
            write!(f, "`{}`", self.program)
        } else {
            write!(f, "`{}` ({})", self.program, self.loc)
        }
    }
}

/// Why a tool stopped with a non-zero exit.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Neither root nor `CAP_BPF` + `CAP_PERFMON`.
    #[error("needs root (CAP_BPF, CAP_PERFMON): run it with sudo")]
    NeedsRoot,
    /// `/sys/kernel/btf/vmlinux` is missing.
    #[error(
        "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); bccc tools need a kernel built with CONFIG_DEBUG_INFO_BTF=y"
    )]
    NoBtf,
    /// This kernel's BTF could not be extended with the program's tracepoint records.
    #[error("cannot describe the tracepoint records to libbpf: {0}")]
    Records(String),
    /// libbpf could not parse the embedded object.
    #[error("the embedded BPF object does not open: {0}")]
    Open(String),
    /// A parameter did not fit.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The verifier (or the kernel) refused a program.
    #[error("{}", verifier_text(.probe, .reason, .tail))]
    Verifier {
        /// The refused program.
        probe: ProbeRef,
        /// The kernel's errno text.
        reason: String,
        /// The last lines of the verifier log.
        tail: Vec<String>,
    },
    /// Loading failed without a program to blame (maps, BTF, relocations).
    #[error("{}", load_text(.reason, .tail))]
    Load {
        /// libbpf's error.
        reason: String,
        /// The last lines of libbpf's log.
        tail: Vec<String>,
    },
    /// A probe could not be attached.
    #[error("cannot attach {spec} for probe {probe}: {reason}")]
    Attach {
        /// The probe.
        probe: ProbeRef,
        /// The attach spec text.
        spec: String,
        /// Why.
        reason: String,
    },
    /// The target of an attach spec does not exist here.
    #[error("cannot attach {spec} for probe {probe}: {source}")]
    Target {
        /// The probe.
        probe: ProbeRef,
        /// The attach spec text.
        spec: String,
        /// Why (boxed: keeps every `Result<_, RunError>` small).
        source: Box<TargetError>,
    },
    /// The manifest names a program or map the object lacks (a bccc bug).
    #[error("the embedded object has no {what} `{name}` (the tool was built wrongly)")]
    Missing {
        /// `program` or `map`.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// A perf or ring buffer could not be opened.
    #[error("cannot open the event buffer of map `{map}`: {reason}")]
    Buffer {
        /// Map name.
        map: String,
        /// Why.
        reason: String,
    },
    /// Reading a map failed.
    #[error("cannot read map `{map}`: {reason}")]
    MapRead {
        /// Map name.
        map: String,
        /// Why.
        reason: String,
    },
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(String),
}

fn verifier_text(probe: &ProbeRef, reason: &str, tail: &[String]) -> String {
    let mut s = format!("the kernel refused to load probe {probe}: {reason}");
    if !tail.is_empty() {
        s.push_str("\nverifier log (last lines):");
        for l in tail {
            let _ = write!(s, "\n  {l}");
        }
    }
    s
}

fn load_text(reason: &str, tail: &[String]) -> String {
    let mut s = format!("loading the BPF object failed: {reason}");
    if !tail.is_empty() {
        s.push_str("\nlibbpf log (last lines):");
        for l in tail {
            let _ = write!(s, "\n  {l}");
        }
    }
    s
}
