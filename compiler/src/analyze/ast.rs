//! Small questions about libclang cursors that several analyzer passes ask: what an expression
//! is once parens and casts are gone, whether a member access is an arrow, which map method a
//! call is. Consumes cursors, produces cursors, spans and plain answers.

use bccc_ffi::clang::{Cursor, CursorKind, TypeKind};

use super::Method;
use crate::source::Span;

/// The cursor's extent in the main file.
pub(crate) fn span_of(c: &Cursor<'_>) -> Option<Span> {
    c.main_file_range().map(|(a, b)| Span::new(a, b))
}

/// The user's text that spells the cursor, where an edit may replace it: its extent, or for
/// code in a macro argument (`ntohs(sk->f)`, `bpf_trace_printk("%d", t->pid)`), the
/// argument's text inside the invocation. `None` for code the macro's body wrote.
pub(crate) fn edit_span(c: &Cursor<'_>) -> Option<Span> {
    let (start, end) = c.main_file_range()?;
    if !c.is_from_macro() {
        return Some(Span::new(start, end));
    }
    // libclang gives a macro-expanded node the invocation's start as its expansion range. Text
    // spelled after that start is the invocation's own (a macro is defined before it is used),
    // so a node spelled there lies in one of its arguments.
    let (a, b) = c.spelling_extent();
    let in_argument = a.in_main_file && b.in_main_file && start <= a.offset && a.offset < b.offset;
    in_argument.then(|| Span::new(a.offset, b.offset))
}

/// Strips what does not change a value's identity: parens, implicit and explicit casts.
pub(crate) fn strip(mut c: Cursor<'_>) -> Cursor<'_> {
    while matches!(
        c.kind(),
        CursorKind::ParenExpr | CursorKind::UnexposedExpr | CursorKind::CStyleCastExpr
    ) {
        match last_expr(&c) {
            Some(inner) => c = inner,
            None => break,
        }
    }
    c
}

/// Strips only implicit conversions (clang's unexposed expressions).
pub(crate) fn strip_implicit(mut c: Cursor<'_>) -> Cursor<'_> {
    while c.kind() == CursorKind::UnexposedExpr {
        match first_child(&c) {
            Some(inner) => c = inner,
            None => break,
        }
    }
    c
}

/// Strips parens and implicit conversions: what still designates the same object.
pub(crate) fn strip_parens(mut c: Cursor<'_>) -> Cursor<'_> {
    while matches!(c.kind(), CursorKind::ParenExpr | CursorKind::UnexposedExpr) {
        match first_child(&c) {
            Some(inner) => c = inner,
            None => break,
        }
    }
    c
}

pub(crate) fn first_child<'tu>(c: &Cursor<'tu>) -> Option<Cursor<'tu>> {
    c.children().into_iter().next()
}

/// The last expression child: a cast's operand (after its type reference), a
/// declaration's initializer.
pub(crate) fn last_expr<'tu>(c: &Cursor<'tu>) -> Option<Cursor<'tu>> {
    c.children().into_iter().rfind(Cursor::is_expression)
}

pub(crate) fn is_pointer(c: &Cursor<'_>) -> bool {
    c.ty().canonical().kind() == TypeKind::Pointer
}

pub(crate) fn is_array(c: &Cursor<'_>) -> bool {
    matches!(
        c.ty().canonical().kind(),
        TypeKind::ConstantArray | TypeKind::IncompleteArray
    )
}

/// The declaration a `DeclRefExpr` (through parens and casts) names.
pub(crate) fn decl_ref(e: Cursor<'_>) -> Option<Cursor<'_>> {
    let s = strip(e);
    (s.kind() == CursorKind::DeclRefExpr)
        .then(|| s.referenced())
        .flatten()
}

/// The base of a member access (`a` in `a->b`), without implicit conversions.
pub(crate) fn member_base<'tu>(m: &Cursor<'tu>) -> Option<Cursor<'tu>> {
    first_child(m).map(strip_implicit)
}

/// Whether the member access `m` is `base->f` rather than `base.f`: its base is a pointer.
/// (The type decides, not the spelling, so clang's implicit accesses of anonymous members and
/// accesses written by macros answer too.)
pub(crate) fn is_arrow(m: &Cursor<'_>) -> bool {
    member_base(m).is_some_and(|b| is_pointer(&b))
}

/// The field a member access names.
pub(crate) fn field<'tu>(m: &Cursor<'tu>) -> Option<Cursor<'tu>> {
    m.referenced().filter(|f| f.kind() == CursorKind::FieldDecl)
}

/// The function a call calls, at its definition when the file has one.
pub(crate) fn callee<'tu>(call: &Cursor<'tu>) -> Option<Cursor<'tu>> {
    let f = call
        .referenced()
        .filter(|f| f.kind() == CursorKind::FunctionDecl)?;
    Some(f.definition().unwrap_or(f))
}

/// `m.method(...)`: the variable `m` and the method, for a call of a BCC map method.
pub(crate) fn method_call<'tu>(call: &Cursor<'tu>) -> Option<(Cursor<'tu>, Method)> {
    let callee = strip(first_child(call)?);
    if callee.kind() != CursorKind::MemberRefExpr {
        return None;
    }
    let base = member_base(&callee)?;
    let var = base
        .referenced()
        .filter(|_| base.kind() == CursorKind::DeclRefExpr)?;
    Some((var, Method::from_name(&callee.spelling())?))
}
