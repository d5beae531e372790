//! Tracepoint records in the compiled C (spec C.3). BCC's `struct tracepoint__<cat>__<ev>` keeps
//! its name and members, marked `preserve_access_index`: every field access becomes a CO-RE
//! relocation against that name, which the runtime defines from the target kernel's own format
//! file before loading (the manifest's `tracepoint_records`). No `trace_event_raw_*` name is
//! needed, so records renamed between kernels (event classes, per-syscall events that have no
//! struct at all) load everywhere the event exists.
//!
//! Consumes the `Program`'s tracepoints and record reads; produces the struct definitions and
//! one edit per read, into the shape the verifier accepts for a context: a load at a constant
//! offset from the context pointer, or a probe read where the compiled code would otherwise
//! compute an address inside the record and load through it (`compat.h`'s `BCCC_TP_*`).

use super::edit::{Edit, Piece};
use crate::analyze::{FieldRead, Program};
use crate::parse::{StructFor, tracepoint};

fn text(s: impl Into<String>) -> Piece {
    Piece::Text(s.into())
}

/// The definitions of the record structs the program names, for the compile.
pub(super) fn record_structs(program: &Program) -> String {
    program
        .tracepoints
        .iter()
        .map(|t| tracepoint::struct_text(t, StructFor::Compile))
        .collect()
}

/// `args->field` reads → the `BCCC_TP_*` macro for their shape (uses that read nothing stay).
pub(super) fn arg_edits(program: &Program) -> Vec<Edit> {
    let mut edits = Vec::new();
    for a in &program.tp_args {
        let base = Piece::Source(a.base);
        let field = &a.field;
        let pieces = match a.read {
            FieldRead::NotRead => continue,
            FieldRead::Value => vec![text("BCCC_TP_LOAD("), base, text(format!(", {field})"))],
            FieldRead::Array => vec![text("BCCC_TP_ARRAY("), base, text(format!(", {field})"))],
            FieldRead::Aggregate => vec![text("BCCC_TP_COPY("), base, text(format!(", {field})"))],
            // `&args->f`: the `&` stays outside, applied to the copy.
            FieldRead::Address => vec![text("(*BCCC_TP_ADDR("), base, text(format!(", {field}))"))],
            FieldRead::Element {
                index,
                literal: true,
            } => vec![
                text("BCCC_TP_LOAD("),
                base,
                text(format!(", {field}[")),
                Piece::Source(index),
                text("])"),
            ],
            FieldRead::Element {
                index,
                literal: false,
            } => vec![
                text("BCCC_TP_ELEM("),
                base,
                text(format!(", {field}, ")),
                Piece::Source(index),
                text(")"),
            ],
        };
        edits.push(Edit {
            span: a.span,
            pieces,
        });
    }
    edits
}
