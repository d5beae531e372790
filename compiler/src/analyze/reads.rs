//! Which expressions read external memory and how (spec B.3–B.5): member chains, `*p`, `p[i]`,
//! `&p->f`, decaying arrays and bitfields. Consumes the walked expression, how its value is
//! used ([`Use`]) and the file's [`super::provenance::Provenance`]; produces
//! [`KernelDeref`]s. Each expression is read at most once: a chain becomes one read whose base
//! is walked on its own, so inner reads nest inside outer ones.

use bccc_ffi::clang::{Cursor, CursorKind};

use super::ast::{
    edit_span, field, first_child, is_array, is_arrow, member_base, strip, strip_implicit,
    strip_parens,
};
use super::body::{Use, Walker};
use super::{DerefForm, KernelDeref};

/// One member access in a chain, innermost first.
pub(crate) struct Hop<'tu> {
    pub(crate) node: Cursor<'tu>,
    pub(crate) name: String,
    pub(crate) arrow: bool,
    bitfield: bool,
    /// The field belongs to a record declared in the user's file: not a kernel type that
    /// CO-RE could relocate (unless it shadows one by name).
    local: bool,
}

/// The member accesses `node` consists of, innermost first, and the expression they start
/// from. `None` when a macro wrote part of the chain (its text cannot be edited).
fn chain(node: Cursor<'_>) -> Option<(Vec<Hop<'_>>, Cursor<'_>)> {
    let mut hops: Vec<Hop<'_>> = Vec::new();
    let mut cur = node;
    while cur.kind() == CursorKind::MemberRefExpr {
        let base = member_base(&cur)?;
        let arrow = is_arrow(&cur);
        let f = field(&cur);
        if f.is_some_and(|f| f.is_anonymous_member()) {
            // clang's implicit access of an anonymous struct or union: C names its members
            // through it, so the path skips it (`sk->__sk_common.skc_num`); an arrow into it
            // belongs to the member named next.
            if arrow {
                hops.last_mut()?.arrow = true;
            }
            cur = base;
            continue;
        }
        edit_span(&cur)?;
        hops.push(Hop {
            node: cur,
            name: cur.spelling(),
            arrow,
            bitfield: f.is_some_and(|f| f.is_bit_field()),
            local: f.is_some_and(|f| f.location().in_main_file),
        });
        cur = base;
    }
    hops.reverse();
    (!hops.is_empty()).then_some((hops, cur))
}

/// A name, through parens and casts.
fn plain_value(e: Cursor<'_>) -> bool {
    strip(e).kind() == CursorKind::DeclRefExpr
}

/// An index that is a name or a literal.
fn plain_index(e: Cursor<'_>) -> bool {
    matches!(
        strip(e).kind(),
        CursorKind::DeclRefExpr | CursorKind::IntegerLiteral
    )
}

/// Member names grouped per `->` hop.
fn groups(hops: &[Hop<'_>]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for h in hops {
        match groups.last_mut() {
            Some(g) if !h.arrow => g.push(h.name.clone()),
            _ => groups.push(vec![h.name.clone()]),
        }
    }
    groups
}

impl<'tu> Walker<'_, 'tu> {
    /// `a.b->c...`: the chain's reads, then its root.
    pub(crate) fn member(&mut self, node: Cursor<'tu>, how: Use) {
        let Some((hops, root)) = chain(node) else {
            if let Some(base) = first_child(&node) {
                let base_use = if is_arrow(&node) {
                    Use::Deref
                } else {
                    Use::Place
                };
                self.walk(base, base_use);
            }
            return;
        };
        if self.unevaluated == 0 {
            self.chain_reads(&hops, root, node, how);
        }
        let root_use = if hops[0].arrow {
            Use::Deref
        } else {
            Use::Place
        };
        self.walk(root, root_use);
    }

    /// `&x`, `*p`, and the other unary operators.
    pub(crate) fn unary(&mut self, node: Cursor<'tu>, how: Use) {
        let Some(operand) = first_child(&node) else {
            return;
        };
        match node.unary_operator() {
            Some("&") => {
                self.walk(operand, Use::Place);
                // Dereferenced on the spot, the address is part of the read that follows.
                if how == Use::Value
                    && let Some(user) = self.external_place(operand)
                    && self.plain_place(operand)
                {
                    self.push(&node, user, true, DerefForm::Address);
                }
            }
            Some("*") => {
                self.walk(operand, Use::Deref);
                self.read_place(node, how);
            }
            _ => self.walk(operand, Use::Value),
        }
    }

    /// `a[i]`: an array is indexed in place, a pointer is loaded first.
    pub(crate) fn subscript(&mut self, node: Cursor<'tu>, how: Use) {
        let kids = node.children();
        let [base, index] = kids[..] else {
            return self.walk_children(node);
        };
        let base_use = if is_array(&strip_implicit(base)) {
            Use::Place
        } else {
            Use::Deref
        };
        self.walk(base, base_use);
        self.walk(index, Use::Value);
        self.read_place(node, how);
    }

    /// Whether the lvalue `e` lies in external memory, where reads are emitted at all.
    fn external_place(&self, e: Cursor<'tu>) -> Option<bool> {
        if self.unevaluated > 0 {
            return None;
        }
        self.provenance.in_memory(e)
    }

    /// Reads the lvalue `node` whole when its value is used and it lies in external memory.
    fn read_place(&mut self, node: Cursor<'tu>, how: Use) {
        if how == Use::Place {
            return;
        }
        let Some(user) = self.external_place(node) else {
            return;
        };
        let plain = self.plain_place(node);
        if !is_array(&node) {
            self.push(&node, user, plain, DerefForm::Value);
        } else if how == Use::Value && plain {
            self.push(&node, user, true, DerefForm::Decay);
        }
    }

    /// The reads a member chain needs: from its first `->` on an external pointer, one
    /// `BPF_CORE_READ` over the rest of the chain; up to its last `->` only, when the chain is
    /// an address or an array.
    fn chain_reads(&mut self, hops: &[Hop<'tu>], root: Cursor<'tu>, node: Cursor<'tu>, how: Use) {
        let base_of = |i: usize| if i == 0 { root } else { hops[i - 1].node };
        let start = (0..hops.len())
            .filter(|&i| hops[i].arrow)
            .find_map(|i| Some((i, *self.provenance.levels(base_of(i)).get(&0)?)));
        let Some((start, user)) = start else {
            // Only `.` from an lvalue in external memory: `(*p).f`, `p->arr[i].f`.
            return self.read_dotted(hops, root, node, how);
        };
        if start > 0 {
            // `(*p).task->pid`: the pointer itself lies in external memory.
            self.read_place(base_of(start), Use::Value);
        }
        let last = hops.len() - 1;
        if how == Use::Place || is_array(&node) {
            self.chain_address(hops, root, start, hops.len(), user);
            if how == Use::Value && self.plain_place(node) {
                self.push(&node, user, true, DerefForm::Decay);
            }
        } else if hops[last].bitfield {
            // The field path starts at the last `->`: the offset the macro relocates is
            // measured from there.
            let last_arrow = (start..hops.len()).rev().find(|&i| hops[i].arrow);
            let from = last_arrow.unwrap_or(start);
            if from > start {
                self.chain_value(hops, root, start, from, user);
            }
            self.bitfield(&hops[from..], base_of(from), false, user);
        } else {
            self.chain_value(hops, root, start, hops.len(), user);
        }
    }

    /// A chain of `.` whose root lies in external memory: read whole when used as a value.
    fn read_dotted(&mut self, hops: &[Hop<'tu>], root: Cursor<'tu>, node: Cursor<'tu>, how: Use) {
        let last = hops.len() - 1;
        if how == Use::Place || !hops[last].bitfield {
            return self.read_place(node, how);
        }
        if let Some(user) = self.external_place(node) {
            self.bitfield(hops, root, true, user);
        }
    }

    /// The value of `hops[start..end]` applied to its external base: one `BPF_CORE_READ`.
    fn chain_value(
        &mut self,
        hops: &[Hop<'tu>],
        root: Cursor<'tu>,
        start: usize,
        end: usize,
        user: bool,
    ) {
        let base_node = if start == 0 {
            root
        } else {
            hops[start - 1].node
        };
        let Some(base) = edit_span(&base_node) else {
            return;
        };
        let (node, plain) = (hops[end - 1].node, plain_value(base_node));
        let path = &hops[start..end];
        if user && path.iter().any(|h| h.local) {
            // A user program's own struct is in no kernel BTF: CO-RE could not relocate it, so
            // each pointer on the way is read plainly, innermost first.
            for (k, h) in path.iter().enumerate() {
                if path.get(k + 1).is_none_or(|next| next.arrow) {
                    self.push(&h.node, user, false, DerefForm::Value);
                }
            }
            return;
        }
        let hops = groups(path);
        self.push(&node, user, plain, DerefForm::Chain { base, hops });
    }

    /// The address `hops[start..end]` designates: everything before its last `->` is read.
    fn chain_address(
        &mut self,
        hops: &[Hop<'tu>],
        root: Cursor<'tu>,
        start: usize,
        end: usize,
        user: bool,
    ) {
        let last_arrow = (start..end).rev().find(|&i| hops[i].arrow).unwrap_or(start);
        if last_arrow > start {
            self.chain_value(hops, root, start, last_arrow, user);
        }
    }

    /// The bitfield at the end of `path`, a chain of members from `base` (a pointer, or an
    /// lvalue whose address is taken).
    fn bitfield(&mut self, path: &[Hop<'tu>], base: Cursor<'tu>, address_of: bool, user: bool) {
        let Some(last) = path.last() else {
            return;
        };
        // Only a name is plain: through `&`, the macro's offset would start from whatever
        // the lvalue's own access path starts from.
        let plain = !address_of && plain_value(base);
        let Some(base) = edit_span(&base) else {
            return;
        };
        let form = DerefForm::Bitfield {
            base,
            address_of,
            path: path.iter().map(|h| h.name.clone()).collect(),
        };
        self.push(&last.node, user, plain, form);
    }

    fn push(&mut self, node: &Cursor<'tu>, user: bool, plain: bool, form: DerefForm) {
        // A macro may expand its argument several times (`bpf_ntohs(x)`): one read each span.
        if let Some(span) = edit_span(node)
            && !self.program.derefs.iter().any(|d| d.span == span)
        {
            self.program.derefs.push(KernelDeref {
                span,
                user,
                plain,
                form,
            });
        }
    }

    /// A pointer that is a plain name, the address of a plain place, or an array (decaying)
    /// at a plain place.
    fn plain_pointer(&self, e: Cursor<'tu>) -> bool {
        let inner = strip_implicit(e);
        let value = strip(e);
        if is_array(&inner) {
            self.plain_place(inner)
        } else if value.kind() == CursorKind::UnaryOperator && value.unary_operator() == Some("&") {
            first_child(&value).is_some_and(|p| self.plain_place(p))
        } else {
            plain_value(e)
        }
    }

    /// Whether the lvalue `e` is a path from a plain name through external memory only
    /// (`p->a.b`, `p->arr[i]`, `*p`): nothing in it is read or lies in a local struct, and its
    /// records are kernel types (a CO-RE builtin would relocate the file's own structs too).
    fn plain_place(&self, e: Cursor<'tu>) -> bool {
        let e = strip_parens(e);
        match e.kind() {
            CursorKind::MemberRefExpr => {
                let Some(base) = member_base(&e) else {
                    return false;
                };
                let kernel_type = field(&e).is_some_and(|f| !f.location().in_main_file);
                kernel_type
                    && self.provenance.in_memory(e).is_some()
                    && if is_arrow(&e) {
                        plain_value(base)
                    } else {
                        self.plain_place(base)
                    }
            }
            CursorKind::UnaryOperator if e.unary_operator() == Some("*") => {
                first_child(&e).is_some_and(|p| self.plain_pointer(p))
            }
            CursorKind::ArraySubscriptExpr => match e.children()[..] {
                [base, index] if plain_index(index) => self.plain_pointer(base),
                _ => false,
            },
            _ => false,
        }
    }
}
