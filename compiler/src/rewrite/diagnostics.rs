//! The rewrite stage's diagnostics (`bccc::E030x`): what the build host's BTF lacks for a
//! program the rewrite must type (BTF programs' targets). `E0301` (no record struct for a
//! tracepoint) is retired: records are defined at load time from the target's format file.

use crate::analyze::{Probe, ProbeParam, SectionKind};
use crate::diagnostics::Diagnostic;
use crate::source::{SourceFile, Span};

/// A BTF program's kernel function (or LSM hook, whose function is `bpf_lsm_<hook>`) is not in
/// the build host's BTF.
pub(super) fn btf_function_missing(
    source: &SourceFile,
    p: &Probe,
    target: &str,
    function: &str,
) -> Diagnostic {
    let (message, help) = if p.section.kind == SectionKind::Lsm {
        (
            format!("LSM hook `{target}` not found: no `{function}` in this kernel's BTF"),
            "LSM_PROBE takes a hook name from the kernel's security hooks (bprm_check_security, \
             file_open, ...); check with `bpftool btf dump file /sys/kernel/btf/vmlinux | grep \
             bpf_lsm_`, or build with --btf of a kernel that has it"
                .to_owned(),
        )
    } else {
        let kind = p.section.kind.prefix();
        (
            format!("kernel function `{target}` not found in this kernel's BTF"),
            format!(
                "{kind} programs attach to a kernel function by its BTF id; check the name with \
                 `bpftool btf dump file /sys/kernel/btf/vmlinux | grep \"FUNC '{target}'\"`, \
                 or build with --btf of a kernel that has it"
            ),
        )
    };
    Diagnostic::error("bccc::E0302", message, help).label(source, p.header_span, "attached here")
}

/// A `tp_btf` program on a tracepoint without a `btf_trace_<event>` typedef.
pub(super) fn tp_btf_missing(source: &SourceFile, p: &Probe, event: &str) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0302",
        format!("no tracepoint `{event}` in the kernel's BTF (no `btf_trace_{event}`)"),
        format!(
            "tp_btf programs attach through the kernel's `btf_trace_{event}` type; check the \
             name with `bpftool btf dump file /sys/kernel/btf/vmlinux | grep btf_trace_`, \
             attach the function as raw_tracepoint:{event} instead (arguments from \
             ctx->args[i]), or build with --btf of a kernel that has it"
        ),
    )
    .label(source, p.header_span, "attached here")
}

/// A `tp_btf` program declaring more typed arguments (`extra` are the surplus ones) than the
/// tracepoint's `TP_PROTO` has (`max`).
pub(super) fn tp_btf_too_many_args(
    source: &SourceFile,
    p: &Probe,
    event: &str,
    max: usize,
    extra: &[ProbeParam],
) -> Diagnostic {
    let span = match (extra.first(), extra.last()) {
        (Some(a), Some(b)) if a.span.end > a.span.start => Span::new(a.span.start, b.span.end),
        _ => p.header_span,
    };
    Diagnostic::error(
        "bccc::E0303",
        format!(
            "tracepoint `{event}` has {max} argument{} but `{}` declares {} after ctx",
            if max == 1 { "" } else { "s" },
            p.function,
            max + extra.len()
        ),
        format!(
            "the arguments after ctx are the tracepoint's TP_PROTO, in order; see them with \
             `bpftool btf dump file /sys/kernel/btf/vmlinux format c | grep 'btf_trace_{event})'` \
             (after the leading `void *`)"
        ),
    )
    .label(source, span, "more than the tracepoint passes")
}
