//! Pointer provenance (spec B.2): which values point into kernel (or user) memory that BPF code
//! may not dereference directly. Consumes the probes' contexts and parameters (the sources) and
//! the marks [`super::propagate`] adds; answers two questions about any expression: after how
//! many dereferences its value is such an *external* pointer ([`Provenance::levels`]), and
//! whether an lvalue lies in external memory ([`Provenance::in_memory`]).
//!
//! The facts are BCC's `(Decl, n)` pairs: "after `n` dereferences of this variable, parameter,
//! struct field or function's result you hold an external pointer" (`&` counts −1, `*`, `->`
//! and `[]` +1), each with whether the memory is user memory. Unlike BCC's two visitor passes,
//! the marks are computed to a fixed point over every function first, so the order in which
//! functions, helpers and map uses appear does not matter.

use std::collections::{BTreeMap, HashMap};

use bccc_ffi::clang::{Cursor, CursorKind};

use super::Method;
use super::ast::{
    callee, field, first_child, is_array, is_arrow, is_pointer, last_expr, member_base,
    method_call, strip, strip_parens,
};
use bccc_ffi::clang::Token;

/// Dereference counts after which a value is an external pointer, each with whether that
/// pointer points to user memory.
pub(crate) type Levels = BTreeMap<i32, bool>;

/// What is known about external pointers in one file.
#[derive(Debug, Default)]
pub(crate) struct Provenance<'tu> {
    /// Variables, parameters, fields and functions (their results) holding external pointers.
    decls: HashMap<Cursor<'tu>, Levels>,
    /// Context parameters whose pointer-typed members are external (spec B.2 point 2), with
    /// whether they point to user memory.
    contexts: HashMap<Cursor<'tu>, bool>,
    /// Map variables whose values hold external pointers (`m.update(&k, &sk)`).
    maps: HashMap<Cursor<'tu>, bool>,
    /// Set when a mark adds something: the propagation runs until a pass adds nothing.
    pub(crate) changed: bool,
}

/// Adds `from` into `into`; whether anything was new.
fn merge(into: &mut Levels, from: &Levels) -> bool {
    let mut changed = false;
    for (&l, &u) in from {
        let slot = into.entry(l).or_insert_with(|| {
            changed = true;
            u
        });
        if u && !*slot {
            *slot = true;
            changed = true;
        }
    }
    changed
}

/// `levels` shifted by `by` dereferences (negative levels are dropped: no pointer is left).
pub(crate) fn shift(levels: &Levels, by: i32) -> Levels {
    levels
        .iter()
        .map(|(&l, &u)| (l + by, u))
        .filter(|&(l, _)| l >= 0)
        .collect()
}

/// Levels of `*e` given those of `e` and whether `*e` can itself be a pointer (pointer- or
/// array-typed): level 0 stays 0, as a pointer read from external memory is external.
fn deref(levels: &Levels, pointer_like: bool) -> Levels {
    let mut out = shift(levels, -1);
    if let (Some(&u), true) = (levels.get(&0), pointer_like) {
        out.insert(0, u);
    }
    out
}

fn pointer_like(e: &Cursor<'_>) -> bool {
    is_pointer(e) || is_array(e)
}

/// Whether the declaration's type is spelled with `__user` (the kernel's annotation, which
/// `bccc/compat.h` defines away, so only the tokens tell).
pub(crate) fn declared_user(decl: &Cursor<'_>, tokens: &[Token]) -> bool {
    let Some((start, _)) = decl.main_file_range() else {
        return false;
    };
    let name = decl.location().offset;
    let from = tokens.partition_point(|t| t.start < start);
    tokens[from..]
        .iter()
        .take_while(|t| t.start < name)
        .any(|t| t.spelling == "__user")
}

impl<'tu> Provenance<'tu> {
    /// Marks `decl` as holding external pointers at `levels`.
    pub(crate) fn mark(&mut self, decl: Cursor<'tu>, levels: &Levels) {
        if levels.is_empty() {
            return;
        }
        let entry = self.decls.entry(decl).or_default();
        self.changed |= merge(entry, levels);
    }

    /// Marks a context parameter.
    pub(crate) fn mark_context(&mut self, param: Cursor<'tu>, user: bool) {
        let old = self.contexts.insert(param, user);
        self.changed |= old != Some(user);
    }

    /// Whether `decl` is a traced context parameter.
    pub(crate) fn context(&self, decl: &Cursor<'tu>) -> Option<bool> {
        self.contexts.get(decl).copied()
    }

    /// Marks a map whose values hold external pointers.
    pub(crate) fn mark_map(&mut self, map: Cursor<'tu>, user: bool) {
        let slot = self.maps.entry(map).or_insert_with(|| {
            self.changed = true;
            user
        });
        if user && !*slot {
            *slot = true;
            self.changed = true;
        }
    }

    /// After how many dereferences the value of `e` is an external pointer.
    pub(crate) fn levels(&self, e: Cursor<'tu>) -> Levels {
        if let Some(user) = self.context_member(e) {
            return Levels::from([(0, user)]);
        }
        match e.kind() {
            CursorKind::ParenExpr | CursorKind::UnexposedExpr | CursorKind::CStyleCastExpr => {
                last_expr(&e).map(|i| self.levels(i)).unwrap_or_default()
            }
            CursorKind::DeclRefExpr => self.referenced(&e),
            CursorKind::CallExpr => self.call(&e),
            CursorKind::MemberRefExpr => self.member(e),
            CursorKind::UnaryOperator => self.unary(e),
            CursorKind::ArraySubscriptExpr => first_child(&e)
                .map(|b| deref(&self.levels(b), pointer_like(&e)))
                .unwrap_or_default(),
            CursorKind::BinaryOperator | CursorKind::CompoundAssignOperator => self.binary(&e),
            // `_Generic(ptr, A: a, default: b)` (the kernel's `container_of_const`, so
            // `tcp_sk(sk)`): libclang does not say which association is chosen, so every one
            // counts, as both branches of `?:` do.
            CursorKind::ConditionalOperator | CursorKind::GenericSelectionExpr => {
                let mut out = Levels::new();
                for branch in e.children().into_iter().skip(1) {
                    if branch.is_expression() {
                        merge(&mut out, &self.levels(branch));
                    }
                }
                out
            }
            // `({ void *__mptr = (void *)(ptr); (T *)(__mptr - offsetof(T, m)); })`
            // (`container_of`): the value of the last expression statement.
            CursorKind::StmtExpr => first_child(&e)
                .and_then(|body| last_expr(&body))
                .map(|value| self.levels(value))
                .unwrap_or_default(),
            _ => Levels::new(),
        }
    }

    /// Whether the lvalue `e` lies in external memory, and whether that is user memory:
    /// `p->f`, `*p`, `p[i]` with `p` external, and `.` members of those.
    pub(crate) fn in_memory(&self, e: Cursor<'tu>) -> Option<bool> {
        let e = strip_parens(e);
        match e.kind() {
            CursorKind::MemberRefExpr if is_arrow(&e) => {
                self.levels(member_base(&e)?).get(&0).copied()
            }
            CursorKind::MemberRefExpr => self.in_memory(member_base(&e)?),
            CursorKind::UnaryOperator if e.unary_operator() == Some("*") => {
                self.levels(first_child(&e)?).get(&0).copied()
            }
            CursorKind::ArraySubscriptExpr => self.levels(first_child(&e)?).get(&0).copied(),
            _ => None,
        }
    }

    fn referenced(&self, e: &Cursor<'tu>) -> Levels {
        e.referenced()
            .and_then(|d| self.decls.get(&d).cloned())
            .unwrap_or_default()
    }

    fn call(&self, e: &Cursor<'tu>) -> Levels {
        // BCC tracks bpf_get_current_task() (a u64 of a kernel address), never
        // bpf_get_current_task_btf() (a BTF pointer the verifier lets programs dereference).
        if e.spelling() == "bpf_get_current_task" {
            return Levels::from([(0, false)]);
        }
        if let Some((map, method)) = method_call(e) {
            let lookup = matches!(
                method,
                Method::Lookup | Method::LookupOrInit | Method::LookupOrTryInit
            );
            // A map value pointer needs one dereference to give the stored external pointer.
            return match (lookup, self.maps.get(&map)) {
                (true, Some(&u)) => Levels::from([(1, u)]),
                _ => Levels::new(),
            };
        }
        callee(e)
            .and_then(|f| self.decls.get(&f).cloned())
            .unwrap_or_default()
    }

    fn member(&self, e: Cursor<'tu>) -> Levels {
        let mut out = field(&e)
            .and_then(|f| self.decls.get(&f).cloned())
            .unwrap_or_default();
        if pointer_like(&e)
            && let Some(u) = self.in_memory(e)
        {
            out.insert(0, u);
        }
        out
    }

    fn unary(&self, e: Cursor<'tu>) -> Levels {
        let Some(operand) = first_child(&e) else {
            return Levels::new();
        };
        match e.unary_operator() {
            // The address of external memory is an external pointer; the address of a variable
            // holding one needs one more dereference.
            Some("&") => match self.in_memory(operand) {
                Some(u) => Levels::from([(0, u)]),
                None => shift(&self.levels(operand), 1),
            },
            Some("*") => deref(&self.levels(operand), pointer_like(&e)),
            _ => Levels::new(),
        }
    }

    /// Pointer arithmetic keeps the pointer (`(u64)&sk->f - 3`); an assignment's value is its
    /// right side.
    fn binary(&self, e: &Cursor<'tu>) -> Levels {
        let kids = e.children();
        match (e.binary_operator(), &kids[..]) {
            (Some("+" | "-"), [a, b]) => {
                let mut out = self.levels(*a);
                merge(&mut out, &self.levels(*b));
                out
            }
            (Some("=" | ","), [_, b]) => self.levels(*b),
            (Some("+=" | "-="), [a, _]) => self.levels(*a),
            _ => Levels::new(),
        }
    }

    /// A pointer-typed member chain rooted at a traced context (`(struct sock *)PT_REGS_PARM1(ctx)`,
    /// `(struct task_struct *)ctx->args[0]`, `args->filename`): external, though the context
    /// itself is not (spec B.2 point 2).
    fn context_member(&self, e: Cursor<'tu>) -> Option<bool> {
        // A context's own array member (`ctx->args`, decayed) is the context, not a pointer
        // read from it.
        if !is_pointer(&e) || is_array(&strip(e)) {
            return None;
        }
        let mut cur = e;
        let mut hops = 0;
        loop {
            cur = strip(cur);
            match cur.kind() {
                CursorKind::MemberRefExpr | CursorKind::ArraySubscriptExpr => {
                    hops += usize::from(cur.kind() == CursorKind::MemberRefExpr);
                    cur = first_child(&cur)?;
                }
                CursorKind::DeclRefExpr if hops > 0 => return self.context(&cur.referenced()?),
                _ => return None,
            }
        }
    }
}
