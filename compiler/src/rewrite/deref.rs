//! Implicit reads of external memory ([`KernelDeref`], spec B.5) → CO-RE reads: member chains
//! → `BPF_CORE_READ`, whole lvalues → `BCCC_READ` (one `bpf_core_read`), addresses →
//! `__builtin_preserve_access_index`, bitfields → `BPF_CORE_READ_BITFIELD_PROBED`; the `_USER`
//! variants for user memory. Inner expressions stay [`Piece::Source`], so their own edits
//! nest.
//!
//! Every CO-RE read expands to `__builtin_preserve_access_index`, which relocates every member
//! access in its argument and cannot hold another one. So a read whose operand is not plain
//! ([`KernelDeref::plain`]) evaluates that operand first, into a local, or reads its address
//! without the builtin: vmlinux.h's records carry `preserve_access_index`, so their field
//! offsets are relocated either way.

use crate::analyze::{DerefForm, KernelDeref};

use super::edit::{Edit, Piece};

fn text(s: impl Into<String>) -> Piece {
    Piece::Text(s.into())
}

/// The edits that turn the implicit reads into their CO-RE forms.
pub(super) fn deref_edits(derefs: &[KernelDeref]) -> Vec<Edit> {
    derefs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let pieces = pieces(d, (!d.plain).then_some(i))?;
            Some(Edit {
                span: d.span,
                pieces,
            })
        })
        .collect()
}

/// The replacement of one read; `hoist` (a unique number) when its operand is not plain.
fn pieces(d: &KernelDeref, hoist: Option<usize>) -> Option<Vec<Piece>> {
    let user = if d.user { "_USER" } else { "" };
    let whole = Piece::Source(d.span);
    Some(match (&d.form, hoist) {
        (DerefForm::Chain { base, hops }, _) => {
            let hops: Vec<String> = hops.iter().map(|h| h.join(".")).collect();
            let read = format!("BPF_CORE_READ{user}");
            hoisted(hoist, "", *base, &read, &format!(", {})", hops.join(", ")))
        }
        (DerefForm::Value, None) => vec![text(format!("BCCC_READ{user}(")), whole, text(")")],
        (DerefForm::Value, Some(_)) => {
            vec![text(format!("BCCC_PROBE_READ{user}(")), whole, text(")")]
        }
        (DerefForm::Address, None) => {
            vec![text("__builtin_preserve_access_index("), whole, text(")")]
        }
        (DerefForm::Decay, None) => vec![
            text("__builtin_preserve_access_index(&"),
            whole,
            text("[0])"),
        ],
        (DerefForm::Address | DerefForm::Decay, Some(_)) => return None,
        // libbpf has no user variant: bitfields are kernel structures.
        (
            DerefForm::Bitfield {
                base,
                address_of,
                path,
            },
            _,
        ) => {
            let amp = if *address_of { "&" } else { "" };
            let tail = format!(", {})", path.join("."));
            hoisted(hoist, amp, *base, "BPF_CORE_READ_BITFIELD_PROBED", &tail)
        }
    })
}

/// `READ(operand TAIL`, or with `hoist`, `({ __auto_type p = operand; READ(p TAIL; })`.
fn hoisted(
    hoist: Option<usize>,
    amp: &str,
    operand: crate::source::Span,
    read: &str,
    tail: &str,
) -> Vec<Piece> {
    match hoist {
        None => vec![
            text(format!("{read}({amp}")),
            Piece::Source(operand),
            text(tail),
        ],
        Some(n) => vec![
            text(format!("({{ __auto_type __bccc_p{n} = {amp}(")),
            Piece::Source(operand),
            text(format!("); {read}(__bccc_p{n}{tail}; }})")),
        ],
    }
}
