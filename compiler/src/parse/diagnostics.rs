//! The parse stage's diagnostics (`bccc::E01xx`, plus the analyzer codes for facts only clang's
//! errors reveal: unknown map methods, unknown tracepoints and fields).

use bccc_ffi::clang::ClangError;

use crate::analyze::Method;
use crate::diagnostics::Diagnostic;
use crate::source::{SourceFile, Span};

/// libclang is missing or failed.
pub(crate) fn clang(e: &ClangError) -> Diagnostic {
    let help = match e {
        ClangError::Load { .. } => {
            "install libclang1-19 (`apt-get install libclang1-19`), or set LIBCLANG_PATH"
        }
        ClangError::Parse { .. } | ClangError::Nul(_) => {
            "this is a bccc bug if the file is readable C; please report it"
        }
    };
    Diagnostic::error("bccc::E0100", e.to_string(), help)
}

/// The stub directory for kernel headers could not be written.
pub(crate) fn stub_dir(e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0104",
        format!("cannot create the temporary directory for kernel header stubs: {e}"),
        "check that TMPDIR is writable",
    )
}

/// A clang error in the user's file.
pub(crate) fn clang_error(file: &SourceFile, span: Span, message: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0101",
        message.to_owned(),
        "fix the C error: bccc parses the file with clang against vmlinux.h and libbpf's headers",
    )
    .label(file, span, "here")
}

/// A struct or union the file uses that no BTF searched defines (clang: incomplete type).
pub(crate) fn type_not_found(
    file: &SourceFile,
    span: Span,
    ty: &str,
    searched: &str,
) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0110",
        format!("`{ty}` is not a type of the target kernel: no BTF bccc searched defines it"),
        format!(
            "searched {searched}. A type of a kernel module needs that module's BTF: pass \
             `--btf-module FILE` with /sys/kernel/btf/<module> or the module's .ko of the \
             kernel the tool is for (repeatable); a type of your own needs a definition"
        ),
    )
    .label(file, span, format!("`{ty}` is incomplete here"))
}

/// Types the file uses were found in the running kernel's module BTF, which bccc added.
pub(crate) fn module_added(module: &std::path::Path, types: &[String]) -> Diagnostic {
    let names: Vec<String> = types.iter().map(|t| format!("`{t}`")).collect();
    Diagnostic::warning(
        "bccc::E0111",
        format!(
            "added module BTF `{}`: it defines {}, which vmlinux's BTF does not",
            module.display(),
            names.join(", ")
        ),
        "the tool's CO-RE relocations need that module loaded on the target; pass \
         `--btf-module` explicitly to choose the module BTF yourself",
    )
}

/// A clang warning in the user's file.
pub(crate) fn clang_warning(file: &SourceFile, span: Span, message: &str) -> Diagnostic {
    Diagnostic::warning("bccc::E0102", message.to_owned(), "").label(file, span, "here")
}

/// A clang error outside the user's file (a header, generated tracepoint structs).
pub(crate) fn clang_error_elsewhere(path: &str, line: u32, message: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0103",
        format!("{path}:{line}: {message}"),
        "the error is in a header bccc uses, not in your file; check the -D flags and #includes",
    )
}

/// `m.frobnicate(...)`: no such map method.
pub(crate) fn unknown_method(file: &SourceFile, span: Span, map: &str, method: &str) -> Diagnostic {
    let valid: Vec<String> = Method::ALL.iter().map(|m| format!("`{m}`")).collect();
    Diagnostic::error(
        "bccc::E0201",
        format!("unknown map method `{method}` on map `{map}`"),
        format!("BCC maps have these methods: {}", valid.join(", ")),
    )
    .label(file, span, "not a map method")
}

/// `args->x` where the tracepoint has no field `x`.
pub(crate) fn unknown_tp_field(
    file: &SourceFile,
    span: Span,
    tp: &str,
    field: &str,
    fields: &[String],
) -> Diagnostic {
    let help = if fields.is_empty() {
        format!(
            "see the tracepoint's format file: /sys/kernel/tracing/events/{}/format",
            tp.replace(':', "/")
        )
    } else {
        format!("`{tp}` has these fields: {}", fields.join(", "))
    };
    Diagnostic::error(
        "bccc::E0204",
        format!("tracepoint `{tp}` has no field `{field}`"),
        help,
    )
    .label(file, span, "no such field")
}

/// A tracepoint with no format file on this host and no record struct in BTF.
pub(crate) fn unknown_tracepoint(
    file: &SourceFile,
    span: Span,
    category: &str,
    event: &str,
) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0203",
        format!("unknown tracepoint `{category}:{event}`"),
        format!(
            "this host has no /sys/kernel/tracing/events/{category}/{event}/format and its BTF has no \
             `struct trace_event_raw_{event}`; list the existing ones with `ls /sys/kernel/tracing/events/{category}` \
             (mount tracefs first if that directory is empty)"
        ),
    )
    .label(file, span, "no such tracepoint")
}
