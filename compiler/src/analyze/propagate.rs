//! Propagation of external pointers (spec B.2 points 4–6) over every function body of the file,
//! to a fixed point: initialisations and assignments (of variables, of struct fields, in
//! struct initializers, through `*`), call arguments into the parameters of functions with a body, return values into the
//! function, and map values (`m.update(&k, &sk)` marks `m`; a lookup in it then yields a
//! pointer to an external pointer). Consumes the seeded [`Provenance`] and the function
//! definitions; adds marks to the provenance.

use bccc_ffi::clang::{ChildVisit, Cursor, CursorKind};

use super::ast::{callee, decl_ref, field, first_child, is_pointer, last_expr, method_call, strip};
use super::probes::FnDef;
use super::provenance::{Levels, Provenance, declared_user, shift};
use super::{Method, Probe, ProbeKind, SectionKind};
use bccc_ffi::clang::Token;

/// Enough passes for any chain of helpers and maps a BPF program has; each pass only adds marks,
/// so the loop also ends by itself once a pass adds nothing.
const MAX_PASSES: usize = 16;

/// Propagates marks through `functions` (definitions) until nothing changes.
pub(crate) fn propagate<'tu>(
    prov: &mut Provenance<'tu>,
    functions: &[Cursor<'tu>],
    tokens: &[Token],
) {
    for _ in 0..MAX_PASSES {
        prov.changed = false;
        for f in functions {
            pass(prov, *f, tokens);
        }
        if !prov.changed {
            break;
        }
    }
}

/// One pass over a function definition's body.
fn pass<'tu>(prov: &mut Provenance<'tu>, function: Cursor<'tu>, tokens: &[Token]) {
    function.visit(|node, _| {
        match node.kind() {
            CursorKind::VarDecl | CursorKind::ParmDecl => declaration(prov, node, tokens),
            CursorKind::InitListExpr => init_list(prov, node),
            CursorKind::BinaryOperator if node.binary_operator() == Some("=") => {
                if let [lhs, rhs] = node.children()[..]
                    && is_pointer(&rhs)
                {
                    let levels = prov.levels(rhs);
                    assign(prov, lhs, &levels);
                }
            }
            CursorKind::CallExpr => call(prov, node),
            CursorKind::ReturnStmt => {
                if let Some(value) = first_child(&node) {
                    let levels = prov.levels(value);
                    prov.mark(function, &levels);
                }
            }
            _ => {}
        }
        ChildVisit::Recurse
    });
}

/// `T *q = <expr>;`: `q` holds what the initializer holds when the initializer is a pointer
/// (BCC's "transitive" check). A pointer declared `__user` always holds a user pointer.
fn declaration<'tu>(prov: &mut Provenance<'tu>, decl: Cursor<'tu>, tokens: &[Token]) {
    let mut levels = match last_expr(&decl) {
        Some(init) if decl.kind() == CursorKind::VarDecl && is_pointer(&init) => prov.levels(init),
        _ => Levels::new(),
    };
    if is_pointer(&decl) && declared_user(&decl, tokens) {
        levels.entry(0).or_insert(true);
        for u in levels.values_mut() {
            *u = true;
        }
    }
    prov.mark(decl, &levels);
}

/// `{ .task = t }`, `{ ts, t }`: a struct's initialised fields hold what their initializers
/// hold, as if assigned one by one.
fn init_list<'tu>(prov: &mut Provenance<'tu>, list: Cursor<'tu>) {
    let fields = list.ty().canonical().fields();
    for (i, item) in list.children().into_iter().enumerate() {
        let kids = item.children();
        // A designator is a reference to the field (not an expression) before the value.
        let designator = kids
            .first()
            .filter(|k| !k.is_expression())
            .and_then(Cursor::referenced)
            .filter(|f| f.kind() == CursorKind::FieldDecl);
        let (field, value) = match (designator, &kids[..]) {
            (Some(f), [_, value]) => (f, *value),
            // `.a.b = v`: a nested path, not followed.
            (Some(_), _) => continue,
            (None, _) => match fields.get(i) {
                Some(f) => (*f, item),
                None => break,
            },
        };
        if is_pointer(&value) {
            let levels = prov.levels(value);
            prov.mark(field, &levels);
        }
    }
}

/// `lhs = <value with levels>`: marks the variable, or the struct field (so `x.ptr->f` is read
/// for every `x` of that struct type), or, through `*p = ...` / `p[i] = ...`, `p` one level up.
fn assign<'tu>(prov: &mut Provenance<'tu>, lhs: Cursor<'tu>, levels: &Levels) {
    if levels.is_empty() {
        return;
    }
    let target = strip(lhs);
    match target.kind() {
        CursorKind::DeclRefExpr => {
            if let Some(d) = target.referenced() {
                prov.mark(d, levels);
            }
        }
        CursorKind::MemberRefExpr => {
            if let Some(f) = field(&target) {
                prov.mark(f, levels);
            }
        }
        CursorKind::ArraySubscriptExpr => {
            if let Some(base) = first_child(&target) {
                assign(prov, base, &shift(levels, 1));
            }
        }
        CursorKind::UnaryOperator if target.unary_operator() == Some("*") => {
            if let Some(p) = first_child(&target) {
                assign(prov, p, &shift(levels, 1));
            }
        }
        _ => {}
    }
}

/// Map updates mark the map; calls of functions with a body mark their parameters (and pass
/// the context on, so a helper taking `ctx` can read `PT_REGS_PARM1(ctx)` too).
fn call<'tu>(prov: &mut Provenance<'tu>, node: Cursor<'tu>) {
    let args = node.arguments();
    if let Some((map, Method::Update | Method::Insert)) = method_call(&node) {
        if let Some(value) = args.get(1) {
            let levels = prov.levels(*value);
            if !levels.is_empty() {
                prov.mark_map(map, levels.values().any(|u| *u));
            }
        }
        return;
    }
    let Some(f) = callee(&node).filter(Cursor::is_definition) else {
        return;
    };
    for (i, arg) in args.into_iter().enumerate() {
        let Some(param) = u32::try_from(i).ok().and_then(|i| f.argument(i)) else {
            break;
        };
        if let Some(user) = decl_ref(arg).and_then(|d| prov.context(&d)) {
            prov.mark_context(param, user);
        }
        let levels = prov.levels(arg);
        prov.mark(param, &levels);
    }
}

/// The sources a probe brings (spec B.2 points 1–2): its context, when its type is traced
/// (`pt_regs`, raw tracepoint and tracepoint programs; never BTF programs, whose arguments the
/// verifier types), and the extra pointer parameters of `pt_regs` programs. Uprobe programs
/// and syscall tracepoints point into user memory.
pub(crate) fn seed<'tu>(prov: &mut Provenance<'tu>, f: &FnDef<'tu>, p: &Probe, tokens: &[Token]) {
    let kind = p.section.kind;
    let syscall_tp =
        matches!(&p.kind, ProbeKind::Tracepoint { category, .. } if category == "syscalls");
    let user = kind.is_user() || syscall_tp;
    let traced =
        kind.is_pt_regs() || matches!(kind, SectionKind::Tracepoint | SectionKind::RawTracepoint);
    if let (true, Some(ctx)) = (traced, f.cursor.argument(0)) {
        prov.mark_context(ctx, user);
    }
    if !kind.is_pt_regs() {
        return;
    }
    for param in (1..f.params.len() as u32).filter_map(|i| f.cursor.argument(i)) {
        if is_pointer(&param) {
            let user = user || declared_user(&param, tokens);
            prov.mark(param, &Levels::from([(0, user)]));
        }
    }
}
