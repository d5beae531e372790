//! The package stage's diagnostics (`bccc::E050x` for the manifest, `bccc::E051x` for output).
//! A mismatch between the `Program` and the object means an earlier stage went wrong, so these
//! point at the user's declaration and say what the object lacks.

use std::path::Path;

use super::layout::LayoutError;
use crate::analyze::{MapDecl, ParamDecl, Probe};
use crate::diagnostics::Diagnostic;
use crate::source::SourceFile;

const EMIT_C: &str = "this is a bccc bug; `bccc build --emit c` shows the C that was compiled";

pub(super) fn btf(e: &LayoutError) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0506",
        format!("cannot read the object's BTF: {e}"),
        EMIT_C,
    )
}

pub(super) fn program_missing(source: &SourceFile, probe: &Probe) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0505",
        format!(
            "program `{}` is not in section `{}` of the compiled object",
            probe.function, probe.section
        ),
        EMIT_C,
    )
    .label(source, probe.name_span, "this probe")
}

pub(super) fn map_missing(source: &SourceFile, decl: &MapDecl) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0501",
        format!(
            "map `{}` is not in the compiled object's `.maps` section",
            decl.name
        ),
        EMIT_C,
    )
    .label(source, decl.span, "declared here")
}

pub(super) fn event_missing(source: &SourceFile, decl: &MapDecl, event_type: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0502",
        format!("the events of `{}` have type `{event_type}`, which is not in the object's BTF", decl.name),
        "submit a named struct type (e.g. `struct data_t data = {}; ... perf_submit(ctx, &data, sizeof(data))`)",
    )
    .label(source, decl.span, "event stream declared here")
}

pub(super) fn layout(
    source: &SourceFile,
    decl: &MapDecl,
    event_type: &str,
    e: &LayoutError,
) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0503",
        format!(
            "cannot decode the layout of `{event_type}` for `{}`: {e}",
            decl.name
        ),
        "events must be structs of integers, enums, arrays, pointers and nested structs",
    )
    .label(source, decl.span, "event stream declared here")
}

pub(super) fn param_missing(source: &SourceFile, decl: &ParamDecl) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0504",
        format!(
            "parameter `{}` is not in the compiled object's `.rodata`",
            decl.name
        ),
        "parameters must be `const volatile` globals with a scalar type",
    )
    .label(source, decl.span, "declared here")
}

pub(super) fn runtime_unreadable(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0510",
        format!("cannot read the runtime `{}`: {e}", path.display()),
        "pass `--runtime` the path of a bccc-rt executable",
    )
}

pub(super) fn runtime_not_built() -> Diagnostic {
    Diagnostic::error(
        "bccc::E0510",
        "this bccc was built without its runtime (the nested build of bccc-rt failed)",
        "rebuild bccc (`cargo install --path compiler`) and read its build warnings, or pass `--runtime PATH`",
    )
}

pub(super) fn runtime_not_elf(e: &object::build::Error) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0512",
        format!("cannot embed the program into the runtime: {e}"),
        "`--runtime` must name a bccc-rt executable (an ELF file)",
    )
}

pub(super) fn write_failed(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0511",
        format!("cannot write `{}`: {e}", path.display()),
        "check that the output directory exists and is writable",
    )
}
