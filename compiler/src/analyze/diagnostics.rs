//! The analyzer's diagnostics (`bccc::E02xx`).

use bccc_manifest::MapKind;

use super::{Method, SectionKind};
use crate::diagnostics::Diagnostic;
use crate::source::{SourceFile, Span};

/// A map method called from inside a macro expansion, which the rewrite cannot edit.
pub(crate) fn method_in_macro(
    file: &SourceFile,
    span: Span,
    map: &str,
    method: Method,
) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0202",
        format!("map method `{map}.{method}` used inside a macro"),
        "call map methods directly in the function body, not through a #define (BCC rejects this too)",
    )
    .label(file, span, "expanded from this macro")
}

/// A method that the map's kind does not have.
pub(crate) fn method_not_for_kind(
    file: &SourceFile,
    span: Span,
    map: &str,
    kind: MapKind,
    method: Method,
    valid: &[Method],
) -> Diagnostic {
    let list: Vec<String> = valid.iter().map(|m| format!("`{m}`")).collect();
    Diagnostic::error(
        "bccc::E0205",
        format!("`{method}` cannot be used on `{map}`, a {kind} map"),
        format!("{kind} maps have: {}", list.join(", ")),
    )
    .label(file, span, "not a method of this map kind")
}

/// A `BPF_TABLE` kind string bccc does not know.
pub(crate) fn unknown_map_kind(file: &SourceFile, span: Span, kind: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0206",
        format!("unsupported map type \"{kind}\""),
        "use one of: hash, array, histogram, percpu_hash, percpu_array, lru_hash, lru_percpu_hash, lpm_trie, \
         perf_output, ringbuf, stacktrace, prog, perf_array, cgroup_array",
    )
    .label(file, span, "this map")
}

/// A non-static function with a body that nothing attaches.
pub(crate) fn unattached_function(file: &SourceFile, span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0207",
        format!("function `{name}` is a BPF program but nothing says where to attach it"),
        format!(
            "name it kprobe__FN / kretprobe__FN, use TRACEPOINT_PROBE / RAW_TRACEPOINT_PROBE, put \
             `// bccc:attach KIND:TARGET` on the line above it, pass `--attach KIND:TARGET={name}`, \
             or make it `static` if it is a helper"
        ),
    )
    .label(file, span, "not attached")
}

/// An attach directive that does not parse.
pub(crate) fn bad_directive(
    file: &SourceFile,
    span: Span,
    message: &str,
    expected: &str,
) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0208",
        format!("bad attach directive: {message}"),
        format!("expected {expected}"),
    )
    .label(file, span, "this directive")
}

/// An attach directive that belongs to no function.
pub(crate) fn orphan_directive(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0209",
        "attach directive is not followed by a function and names none",
        "put `// bccc:attach SPEC` on the line right above the function, or end it with `=FUNCTION`",
    )
    .label(file, span, "this directive")
}

/// `--attach ...=FN` or a directive naming a function the file does not define.
pub(crate) fn unknown_attach_function(
    file: &SourceFile,
    span: Option<Span>,
    name: &str,
) -> Diagnostic {
    let d = Diagnostic::error(
        "bccc::E0210",
        format!("attach target function `{name}` is not defined in this file"),
        "name a non-static function with a body in this file",
    );
    match span {
        Some(s) => d.label(file, s, "names it"),
        None => d,
    }
}

/// An attach kind that parses but that bccc cannot build yet.
pub(crate) fn unsupported_attach(file: &SourceFile, span: Span, kind: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0211",
        format!("attach kind `{kind}` is not yet supported"),
        "supported today: kprobe, kretprobe, tracepoint, raw_tracepoint, tp_btf, uprobe, uretprobe, kfunc, kretfunc, lsm",
    )
    .label(file, span, "this program")
}

/// Attach specs of one function that need different program types.
pub(crate) fn conflicting_attach(file: &SourceFile, span: Span, a: &str, b: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0212",
        format!("one function cannot be both a `{a}` and a `{b}` program"),
        "write one function per program type (an fentry, fexit, LSM or tp_btf program: one per kernel function or tracepoint)",
    )
    .label(file, span, "this function")
}

/// A display hint that does not parse or names no map.
pub(crate) fn bad_display(file: &SourceFile, span: Span, message: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0213",
        format!("bad display directive: {message}"),
        "write `// bccc:display MAP log2|linear|counts|hidden [\"column title\"]`",
    )
    .label(file, span, "this directive")
}

/// A probe with too many or unnamed extra parameters.
pub(crate) fn bad_probe_params(file: &SourceFile, span: Span, why: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0214",
        format!("probe parameters cannot be mapped to registers: {why}"),
        "a pt_regs probe takes `struct pt_regs *ctx` and at most 6 named arguments after it",
    )
    .label(file, span, "these parameters")
}

/// A BTF program (fentry, fexit, LSM, `tp_btf`) whose first parameter is not the `u64` ctx array.
/// `found` says what is there instead, for the label.
pub(crate) fn btf_ctx_param(
    file: &SourceFile,
    span: Span,
    kind: SectionKind,
    found: &str,
) -> Diagnostic {
    let kind = kind.prefix();
    Diagnostic::error(
        "bccc::E0215",
        format!("a {kind} program's first parameter must be `unsigned long long *ctx`"),
        "BTF programs receive the kernel's arguments as a u64 array: write \
         `int fn(unsigned long long *ctx, <typed arguments>)`, as BCC's KFUNC_PROBE expands",
    )
    .label(file, span, found)
}
