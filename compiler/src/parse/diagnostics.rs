//! The parse stage's diagnostics (`bccc::E01xx`, plus the analyzer codes for facts only clang's
//! errors reveal: unknown map methods, unknown tracepoints and fields).

use bccc_ffi::clang::ClangError;

use super::conditionals::{BuildTimeTest, Tested};
use crate::analyze::Method;
use crate::diagnostics::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::toolchain::kheaders::{DropReason, Dropped};

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

/// `#if LINUX_VERSION_CODE ...` / `#ifdef CONFIG_X`: decided when bccc builds, for every kernel.
pub(crate) fn build_time_test(file: &SourceFile, test: &BuildTimeTest) -> Diagnostic {
    let name = &test.name;
    let (what, help) = match test.tested {
        Tested::Version => (
            "`LINUX_VERSION_CODE` is libbpf's load-time `LINUX_KERNEL_VERSION`, 0 to the preprocessor".to_owned(),
            format!(
                "test the version in C: `if ({name} >= KERNEL_VERSION(5, 16, 0))` (or `LINUX_KERNEL_VERSION`); libbpf sets it when the program loads and the verifier drops the dead branch (both branches must compile against vmlinux.h)"
            ),
        ),
        Tested::Config => {
            let option = if name.starts_with("CONFIG_") {
                name.as_str()
            } else {
                "CONFIG_X"
            };
            (
                "no kernel configuration option is defined when bccc builds".to_owned(),
                format!(
                    "test the option in C: declare `extern bool {option} __kconfig __weak;` and write `if ({option})` (or `if (IS_ENABLED({option}))`); libbpf sets it from the target kernel's config when the program loads"
                ),
            )
        }
    };
    Diagnostic::warning(
        "bccc::E0109",
        format!(
            "`#{}` on `{name}` is decided when bccc builds, the same for every kernel the tool runs on: {what}",
            test.directive
        ),
        help,
    )
    .label(file, test.span, "decided at build time")
}

/// A kernel helper of the set that the target's BTF cannot compile (`need` is `kind:name`).
pub(crate) fn helper_off(file: &SourceFile, span: Span, name: &str, need: &str) -> Diagnostic {
    let need = need.replacen(':', " ", 1);
    Diagnostic::error(
        "bccc::E0108",
        format!(
            "`{name}` is not in bccc's kernel headers for this kernel: it needs `{need}`, which this kernel's BTF (its vmlinux.h) does not have"
        ),
        "the kernel was built without what the helper uses (a config option); write the computation yourself, or build with --btf for a kernel that has it",
    )
    .label(file, span, "a kernel helper this kernel cannot compile")
}

/// A kernel name the user's file uses that bccc's generated kernel headers leave out.
pub(crate) fn dropped_kernel_name(
    file: &SourceFile,
    span: Span,
    name: &str,
    d: &Dropped,
) -> Diagnostic {
    let from = if d.header.is_empty() {
        String::new()
    } else {
        format!(" (<{}>)", d.header)
    };
    let (why, help) = match d.reason {
        DropReason::Differs => (
            format!("{}: bccc cannot know the target's value", d.detail),
            format!(
                "define `{name}` yourself for the kernels you target, or read the value the kernel uses at run time (BTF, a map filled from user space)"
            ),
        ),
        DropReason::Kconfig => {
            let option = if name.starts_with("CONFIG_") {
                name
            } else {
                "CONFIG_X"
            };
            (
                "it tests the kernel configuration, which bccc does not know when it builds"
                    .to_owned(),
                format!(
                    "declare `extern bool {option} __kconfig __weak;` (`enum libbpf_tristate` for a module option, `int` for a number): libbpf sets it from the target kernel's config when the program loads"
                ),
            )
        }
        DropReason::Older => (
            d.detail.to_owned(),
            format!(
                "on the kernels that have it, define `{name}` yourself; to choose code by kernel, test `LINUX_KERNEL_VERSION` in C"
            ),
        ),
        DropReason::Depends | DropReason::Helper => (
            d.detail.to_owned(),
            "BPF programs cannot call kernel functions or read kernel variables: use a BPF helper (bpf_get_current_task(), ...) or BPF_CORE_READ".to_owned(),
        ),
        _ => (
            d.detail.to_owned(),
            format!("define `{name}` yourself, as the kernel you target does"),
        ),
    };
    Diagnostic::error(
        "bccc::E0108",
        format!("`{name}`{from} is not in bccc's kernel headers: {why}"),
        help,
    )
    .label(file, span, "a kernel name bccc leaves out")
}
