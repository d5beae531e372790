//! The driver's diagnostics (`bccc::E060x`): problems with the command line itself.

use std::path::Path;

use bccc_manifest::AttachParseError;

use crate::diagnostics::Diagnostic;

/// `--attach SPEC` without `=FUNCTION`.
pub(super) fn attach_without_function(text: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0601",
        format!("--attach `{text}` does not name the function to attach"),
        format!("append `=FUNCTION`, e.g. `{text}=my_probe`"),
    )
}

/// `--attach SPEC` that does not parse.
pub(super) fn bad_attach(text: &str, e: &AttachParseError) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0602",
        format!("--attach `{text}`: {e}"),
        format!("expected {}", e.expected),
    )
}

/// The input file cannot be read.
pub(super) fn unreadable_input(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0603",
        format!("cannot read `{}`: {e}", path.display()),
        "pass the path of a BCC-dialect C file",
    )
}

/// `-D BPF_LICENSE=...`: BCC refuses the licence in cflags; the program states it.
pub(super) fn license_define() -> Diagnostic {
    Diagnostic::error(
        "bccc::E0605",
        "the licence cannot be given with -D BPF_LICENSE",
        "write `#define BPF_LICENSE Dual BSD/GPL` (or another licence) in the program, as BCC \
         requires; without one the program is GPL",
    )
}

/// `--emit crate` (not built yet).
pub(super) fn crate_unsupported() -> Diagnostic {
    Diagnostic::error(
        "bccc::E0604",
        "`--emit crate` is not supported yet",
        "use `--emit bin` (a static tool) or `--emit obj` (the BPF object) for now",
    )
}
