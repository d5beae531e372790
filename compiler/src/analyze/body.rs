//! Function bodies: map-method calls, implicit kernel-memory reads (spec B, decided in
//! [`super::reads`] from the file's [`Provenance`]) and the evidence that decides how maps are
//! displayed (tracepoint record reads: `tp_args`).

use std::collections::HashSet;

use bccc_ffi::clang::{Cursor, CursorKind, TypeKind};

use super::ast::{first_child, last_expr, method_call, span_of, strip, strip_implicit};
use super::provenance::Provenance;
use super::{MapCall, Method, Program, diagnostics, maps};
use crate::diagnostics::Diagnostics;

/// What map uses say about display (per map, indexed like `Program::maps`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Evidence {
    pub(crate) counts: bool,
    pub(crate) log2: bool,
    /// (BTF name, C spelling) of the submitted type.
    pub(crate) event: Option<(String, String)>,
}

/// How the value of an expression is used where it appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// The value is loaded.
    Value,
    /// The value is loaded and dereferenced on the spot (`x->f`, `*x`, `x[i]`).
    Deref,
    /// Only its place matters: under `&`, the base of `.`, an array being indexed, the target
    /// of an assignment. Nothing is loaded from it.
    Place,
}

/// Walks one function body.
pub(crate) struct Walker<'a, 'tu> {
    pub(crate) file: &'a crate::source::SourceFile,
    pub(crate) program: &'a mut Program,
    pub(crate) diags: &'a mut Diagnostics,
    pub(crate) evidence: &'a mut Vec<Evidence>,
    pub(crate) provenance: &'a Provenance<'tu>,
    pub(crate) log2_vars: HashSet<Cursor<'tu>>,
    /// Inside `sizeof`/`typeof`/`alignof`: nothing is evaluated, so nothing is read.
    pub(crate) unevaluated: u32,
}

impl<'tu> Walker<'_, 'tu> {
    /// Walks `node`, whose value is used as `how`.
    pub(crate) fn walk(&mut self, node: Cursor<'tu>, how: Use) {
        match node.kind() {
            CursorKind::CallExpr => self.call(node, how),
            CursorKind::MemberRefExpr => self.member(node, how),
            CursorKind::UnaryOperator => self.unary(node, how),
            CursorKind::ArraySubscriptExpr => self.subscript(node, how),
            // A cast's operand is used as the cast is (`*(u32 *)&t->pid` reads through it).
            CursorKind::ParenExpr | CursorKind::UnexposedExpr | CursorKind::CStyleCastExpr => {
                for c in node.children() {
                    self.walk(c, how);
                }
            }
            CursorKind::UnaryExpr => {
                self.unevaluated += 1;
                self.walk_children(node);
                self.unevaluated -= 1;
            }
            CursorKind::VarDecl => {
                self.walk_children(node);
                if let Some(init) = last_expr(&node) {
                    self.assigned(node, init);
                }
            }
            CursorKind::CompoundAssignOperator => self.assignment(node),
            CursorKind::BinaryOperator if node.binary_operator() == Some("=") => {
                self.assignment(node);
            }
            _ => self.walk_children(node),
        }
    }

    pub(crate) fn walk_children(&mut self, node: Cursor<'tu>) {
        for c in node.children() {
            self.walk(c, Use::Value);
        }
    }

    /// `lhs = rhs`: the target is a place, not a read.
    fn assignment(&mut self, node: Cursor<'tu>) {
        let [lhs, rhs] = node.children()[..] else {
            return self.walk_children(node);
        };
        self.walk(lhs, Use::Place);
        self.walk(rhs, Use::Value);
        let target = strip(lhs);
        if node.binary_operator() == Some("=")
            && target.kind() == CursorKind::DeclRefExpr
            && let Some(var) = target.referenced()
        {
            self.assigned(var, rhs);
        }
    }

    /// `var = value`: remember variables computed with `bpf_log2l`.
    fn assigned(&mut self, var: Cursor<'tu>, value: Cursor<'tu>) {
        if contains_log2(value) {
            self.log2_vars.insert(var);
        }
    }

    fn call(&mut self, node: Cursor<'tu>, how: Use) {
        let args = node.arguments();
        let callee = node.spelling();
        let skip_src = callee == "bpf_probe_read";
        // The CO-RE builtins (`bpf_core_read`, `bpf_core_field_exists` expand to them) do not
        // evaluate their argument as a load, and cannot hold a read of their own.
        let core_builtin =
            callee.starts_with("__builtin_preserve_") || callee == "__builtin_btf_type_id";
        if let Some((map, method)) = self.map_call(node) {
            self.record_call(node, map, method, &args, how == Use::Deref);
        }
        self.unevaluated += u32::from(core_builtin);
        for c in node.children() {
            // BCC leaves the source of the legacy bpf_probe_read alone (spec B.4).
            if skip_src && args.get(2) == Some(&c) {
                continue;
            }
            self.walk(c, Use::Value);
        }
        self.unevaluated -= u32::from(core_builtin);
    }

    /// `m.method(...)` on a map: the map's index and the method.
    fn map_call(&self, node: Cursor<'tu>) -> Option<(usize, Method)> {
        let (var, method) = method_call(&node)?;
        let name = var.spelling();
        let map = self.program.maps.iter().position(|m| m.name == name)?;
        Some((map, method))
    }

    fn record_call(
        &mut self,
        node: Cursor<'tu>,
        map: usize,
        method: Method,
        args: &[Cursor<'tu>],
        typed: bool,
    ) {
        let decl = &self.program.maps[map];
        let span = span_of(&node).unwrap_or_default();
        if node.is_from_macro() {
            self.diags.push(diagnostics::method_in_macro(
                self.file, span, &decl.name, method,
            ));
            return;
        }
        let valid = maps::methods(decl.kind);
        if !valid.contains(&method) {
            self.diags.push(diagnostics::method_not_for_kind(
                self.file, span, &decl.name, decl.kind, method, valid,
            ));
            return;
        }
        self.evidence_of(map, method, args);
        let args = args.iter().filter_map(span_of).collect();
        self.program.calls.push(MapCall {
            map,
            method,
            span,
            args,
            typed_result: typed,
        });
    }

    /// What a map method call says about how to display the map.
    fn evidence_of(&mut self, map: usize, method: Method, args: &[Cursor<'tu>]) {
        let ev = &mut self.evidence[map];
        match method {
            Method::Increment
            | Method::AtomicIncrement
            | Method::LookupOrTryInit
            | Method::LookupOrInit => {
                ev.counts = true;
            }
            Method::PerfSubmit | Method::RingbufOutput | Method::RingbufSubmit => {
                let data = if method == Method::PerfSubmit {
                    args.get(1)
                } else {
                    args.first()
                };
                if let Some(t) = data.and_then(|d| event_type(*d)) {
                    ev.event = Some(t);
                }
            }
            _ => {}
        }
        if let Some(key) = args.first()
            && matches!(
                method,
                Method::Increment | Method::AtomicIncrement | Method::Update | Method::Lookup
            )
            && (contains_log2(*key) || self.refers_to_log2_var(*key))
        {
            self.evidence[map].log2 = true;
        }
    }

    fn refers_to_log2_var(&self, c: Cursor<'tu>) -> bool {
        let mut c = strip(c);
        if c.kind() == CursorKind::UnaryOperator {
            match first_child(&c) {
                Some(inner) => c = strip(inner),
                None => return false,
            }
        }
        c.kind() == CursorKind::DeclRefExpr
            && c.referenced().is_some_and(|v| self.log2_vars.contains(&v))
    }
}

/// Whether `c` contains a call of `bpf_log2l` or `bpf_log2`.
fn contains_log2(c: Cursor<'_>) -> bool {
    let mut found = matches!(c.kind(), CursorKind::CallExpr)
        && matches!(c.spelling().as_str(), "bpf_log2l" | "bpf_log2");
    c.visit(|k, _| {
        if k.kind() == CursorKind::CallExpr
            && matches!(k.spelling().as_str(), "bpf_log2l" | "bpf_log2")
        {
            found = true;
            return bccc_ffi::clang::ChildVisit::Break;
        }
        bccc_ffi::clang::ChildVisit::Recurse
    });
    found
}

/// The type `data` points to, as (BTF name, C spelling).
fn event_type(data: Cursor<'_>) -> Option<(String, String)> {
    let s = strip_implicit(data);
    let pointee = s.ty().pointee()?;
    let pointee = if pointee.kind() == TypeKind::Void {
        strip(s).ty().pointee()?
    } else {
        pointee
    };
    let spelling = pointee.spelling();
    let c = spelling
        .trim_start_matches("const ")
        .trim_start_matches("volatile ")
        .trim()
        .to_owned();
    let btf = c
        .strip_prefix("struct ")
        .or_else(|| c.strip_prefix("union "))
        .unwrap_or(&c)
        .to_owned();
    (!btf.is_empty() && btf != "void").then_some((btf, c))
}
