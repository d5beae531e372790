//! Tracepoint record reads: every `p->field` whose `p` points to BCC's `struct
//! tracepoint__<cat>__<ev>`, in any function (probes, static helpers taking the record), with how
//! the use reads the field (spec A.7, C).
//!
//! Consumes function bodies; produces [`TracepointArg`]s. The rewrite needs the shape because the
//! verifier accepts a context read only as one load at a constant offset from the context
//! pointer: how each shape gets there is the rewrite's business, which one it is is decided here.

use bccc_ffi::clang::{Cursor, CursorKind, TypeKind};

use super::{FieldRead, TracepointArg};
use crate::parse::TracepointFormat;
use crate::source::Span;

/// Helpers that take a source address as a plain value: a pointer into the record is fine there.
const READS_FROM_ADDRESS: [&str; 4] = [
    "bpf_probe_read",
    "bpf_probe_read_kernel",
    "bpf_probe_read_str",
    "bpf_probe_read_kernel_str",
];

/// How the expression being walked is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Its value is read.
    Read,
    /// Its address is taken (`&e`, `&e[i]`).
    Address,
    /// It is written, or not evaluated (`sizeof`).
    NotRead,
}

/// Collects the record reads in `body`.
pub(crate) fn collect(body: Cursor<'_>, tracepoints: &[TracepointFormat]) -> Vec<TracepointArg> {
    let mut c = Collector {
        tracepoints,
        out: Vec::new(),
    };
    c.walk(body, Use::Read);
    c.out
}

struct Collector<'a> {
    tracepoints: &'a [TracepointFormat],
    out: Vec<TracepointArg>,
}

fn span_of(c: &Cursor<'_>) -> Option<Span> {
    c.main_file_range().map(|(a, b)| Span::new(a, b))
}

/// Strips parentheses and implicit conversions, which do not change what is read.
fn strip(mut c: Cursor<'_>) -> Cursor<'_> {
    while matches!(c.kind(), CursorKind::ParenExpr | CursorKind::UnexposedExpr) {
        match c.children().into_iter().rfind(Cursor::is_expression) {
            Some(inner) => c = inner,
            None => break,
        }
    }
    c
}

fn is_array(c: &Cursor<'_>) -> bool {
    matches!(
        c.ty().canonical().kind(),
        TypeKind::ConstantArray | TypeKind::IncompleteArray
    )
}

impl<'tu> Collector<'_> {
    fn walk(&mut self, node: Cursor<'tu>, usage: Use) {
        match node.kind() {
            CursorKind::MemberRefExpr => self.member(node, usage),
            CursorKind::ArraySubscriptExpr => self.subscript(node, usage),
            CursorKind::CallExpr => self.call(node),
            CursorKind::ParenExpr | CursorKind::UnexposedExpr => self.walk_all(node, usage),
            CursorKind::UnaryExpr => self.walk_all(node, Use::NotRead),
            CursorKind::UnaryOperator => {
                let inner = match node.unary_operator() {
                    Some("&") if usage == Use::NotRead => Use::NotRead,
                    Some("&") => Use::Address,
                    Some("++" | "--") => Use::NotRead,
                    _ => Use::Read,
                };
                self.walk_all(node, inner);
            }
            CursorKind::BinaryOperator | CursorKind::CompoundAssignOperator => {
                let assigns = node.kind() == CursorKind::CompoundAssignOperator
                    || node.binary_operator() == Some("=");
                for (i, c) in node.children().into_iter().enumerate() {
                    let written = assigns && i == 0;
                    self.walk(c, if written { Use::NotRead } else { Use::Read });
                }
            }
            _ => self.walk_all(node, Use::Read),
        }
    }

    fn walk_all(&mut self, node: Cursor<'tu>, usage: Use) {
        for c in node.children() {
            self.walk(c, usage);
        }
    }

    /// The tracepoint whose record `node` (a `->` member access) reads, and its base.
    fn record_access(&self, node: Cursor<'tu>) -> Option<(usize, Cursor<'tu>)> {
        if node.kind() != CursorKind::MemberRefExpr {
            return None;
        }
        let base = node.children().into_iter().next()?;
        let pointee = base.ty().canonical().pointee()?;
        let name = pointee.spelling();
        let name = name.strip_prefix("struct ")?;
        let tp = self
            .tracepoints
            .iter()
            .position(|t| t.struct_name() == name)?;
        // `a.b` on a struct value has no pointer base; a `->` it must be.
        Some((tp, base))
    }

    fn member(&mut self, node: Cursor<'tu>, usage: Use) {
        let Some((tp, base)) = self.record_access(node) else {
            // `x.f` reads part of `x`: `&args->agg.f` does not read `args->agg`.
            let arrow = node
                .children()
                .first()
                .is_some_and(|b| b.ty().canonical().kind() == TypeKind::Pointer);
            self.walk_all(node, if arrow { Use::Read } else { usage });
            return;
        };
        let read = match usage {
            Use::NotRead => FieldRead::NotRead,
            Use::Address => FieldRead::Address,
            Use::Read if is_array(&node) => FieldRead::Array,
            Use::Read if node.ty().canonical().kind() == TypeKind::Record => FieldRead::Aggregate,
            Use::Read => FieldRead::Value,
        };
        self.record(node, base, tp, read);
        self.walk(base, Use::Read);
    }

    /// `args->f[i]`: one element of an array field.
    fn subscript(&mut self, node: Cursor<'tu>, usage: Use) {
        let children = node.children();
        let [array, index] = &children[..] else {
            self.walk_all(node, Use::Read);
            return;
        };
        let field = strip(*array);
        let Some((tp, base)) = self.record_access(field).filter(|_| is_array(&field)) else {
            self.walk(*array, Use::Read);
            self.walk(*index, Use::Read);
            return;
        };
        match (usage, span_of(index)) {
            (Use::Read, Some(index_span)) => {
                let literal = strip(*index).kind() == CursorKind::IntegerLiteral;
                let read = FieldRead::Element {
                    index: index_span,
                    literal,
                };
                self.record_at(node, field, base, tp, read);
            }
            // `&args->f[i]`: an address in a copy of the array, like the array's own value.
            (Use::Address, _) => self.record(field, base, tp, FieldRead::Array),
            _ => self.record(field, base, tp, FieldRead::NotRead),
        }
        self.walk(base, Use::Read);
        self.walk(*index, Use::Read);
    }

    /// A call: a field's address (`&args->f`, or an array field) passed straight to a
    /// probe-read helper as its source stays an address into the record, which the helper
    /// reads itself; other arguments are walked as usual.
    fn call(&mut self, node: Cursor<'tu>) {
        let args = node.arguments();
        let callee = node.spelling();
        let reads_address = READS_FROM_ADDRESS.contains(&callee.as_str());
        for c in node.children() {
            let source_arg = reads_address && args.get(2) == Some(&c);
            match self.address_of_field(c).filter(|_| source_arg) {
                Some(field) => self.member(field, Use::NotRead),
                None => self.walk(c, Use::Read),
            }
        }
    }

    /// The record field whose address `c` is: `&args->f` or an array field `args->f`.
    fn address_of_field(&self, c: Cursor<'tu>) -> Option<Cursor<'tu>> {
        let c = strip(c);
        let field = if c.kind() == CursorKind::UnaryOperator && c.unary_operator() == Some("&") {
            strip(c.children().into_iter().next()?)
        } else if is_array(&c) {
            c
        } else {
            return None;
        };
        self.record_access(field).map(|_| field)
    }

    fn record(&mut self, node: Cursor<'tu>, base: Cursor<'tu>, tp: usize, read: FieldRead) {
        self.record_at(node, node, base, tp, read);
    }

    /// Records the use spanning `whole` of field `field` (the same cursor except for elements).
    fn record_at(
        &mut self,
        whole: Cursor<'tu>,
        field: Cursor<'tu>,
        base: Cursor<'tu>,
        tracepoint: usize,
        read: FieldRead,
    ) {
        // A read spelled inside a macro cannot be edited; it stays a plain access.
        if whole.is_from_macro() || field.is_from_macro() {
            return;
        }
        let (Some(span), Some(base_span)) = (span_of(&whole), span_of(&base)) else {
            return;
        };
        self.out.push(TracepointArg {
            span,
            base: base_span,
            field: field.spelling(),
            tracepoint,
            read,
        });
    }
}
