//! Function bodies: map-method calls, implicit kernel-memory reads (spec B) and the evidence that
//! decides how maps are displayed (tracepoint record reads: `tp_args`).

use std::collections::{HashMap, HashSet};

use bccc_ffi::clang::{Cursor, CursorKind, TypeKind};

use super::{DerefForm, KernelDeref, MapCall, Method, Program, diagnostics, maps};
use crate::diagnostics::Diagnostics;
use crate::source::{SourceFile, Span};

/// What map uses say about display (per map, indexed like `Program::maps`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Evidence {
    pub(crate) counts: bool,
    pub(crate) log2: bool,
    /// (BTF name, C spelling) of the submitted type.
    pub(crate) event: Option<(String, String)>,
}

/// The function being walked.
#[derive(Debug, Default)]
pub(crate) struct Scope<'tu> {
    /// Index of the probe in `Program::probes`.
    pub(crate) probe: Option<usize>,
    /// The context parameter of a probe (`ctx`, `args`).
    pub(crate) ctx_param: Option<Cursor<'tu>>,
    /// Whether pointers found in the context point to user memory.
    pub(crate) ctx_user: bool,
    /// Declarations holding external pointers, and whether they are user pointers.
    pub(crate) external: HashMap<Cursor<'tu>, bool>,
}

/// Walks one function body.
pub(crate) struct Walker<'a, 'tu> {
    pub(crate) file: &'a SourceFile,
    pub(crate) program: &'a mut Program,
    pub(crate) diags: &'a mut Diagnostics,
    pub(crate) evidence: &'a mut Vec<Evidence>,
    pub(crate) scope: Scope<'tu>,
    pub(crate) log2_vars: HashSet<Cursor<'tu>>,
}

fn span_of(c: &Cursor<'_>) -> Option<Span> {
    c.main_file_range().map(|(a, b)| Span::new(a, b))
}

/// Strips what does not change a value's identity: parens, implicit and explicit casts.
fn strip(mut c: Cursor<'_>) -> Cursor<'_> {
    while matches!(
        c.kind(),
        CursorKind::ParenExpr | CursorKind::UnexposedExpr | CursorKind::CStyleCastExpr
    ) {
        match c.children().into_iter().rfind(Cursor::is_expression) {
            Some(inner) => c = inner,
            None => break,
        }
    }
    c
}

/// Strips only implicit conversions (clang's unexposed expressions).
fn strip_implicit(mut c: Cursor<'_>) -> Cursor<'_> {
    while c.kind() == CursorKind::UnexposedExpr {
        match c.children().into_iter().next() {
            Some(inner) => c = inner,
            None => break,
        }
    }
    c
}

fn first_child<'tu>(c: &Cursor<'tu>) -> Option<Cursor<'tu>> {
    c.children().into_iter().next()
}

fn is_pointer(c: &Cursor<'_>) -> bool {
    c.ty().canonical().kind() == TypeKind::Pointer
}

fn is_array(c: &Cursor<'_>) -> bool {
    matches!(
        c.ty().canonical().kind(),
        TypeKind::ConstantArray | TypeKind::IncompleteArray
    )
}

/// One member access in a chain, innermost first.
struct Hop<'tu> {
    node: Cursor<'tu>,
    name: String,
    arrow: bool,
}

impl<'tu> Walker<'_, 'tu> {
    /// Walks `node`; `addr` is set when the value is only addressed (`&node`), `typed` when the
    /// value is dereferenced on the spot.
    pub(crate) fn walk(&mut self, node: Cursor<'tu>, addr: bool, typed: bool) {
        match node.kind() {
            CursorKind::CallExpr => self.call(node, typed),
            CursorKind::MemberRefExpr => self.member(node, addr),
            CursorKind::UnaryOperator => {
                let op = node.unary_operator();
                for c in node.children() {
                    self.walk(c, op == Some("&"), op == Some("*"));
                }
            }
            CursorKind::ParenExpr | CursorKind::UnexposedExpr => {
                for c in node.children() {
                    self.walk(c, addr, typed);
                }
            }
            CursorKind::ArraySubscriptExpr => {
                for (i, c) in node.children().into_iter().enumerate() {
                    self.walk(c, false, i == 0);
                }
            }
            CursorKind::VarDecl => {
                let init = node.children().into_iter().rfind(Cursor::is_expression);
                self.walk_children(node);
                if let Some(init) = init {
                    self.assigned(node, init);
                }
            }
            CursorKind::BinaryOperator if node.binary_operator() == Some("=") => {
                self.walk_children(node);
                if let [lhs, rhs] = node.children()[..]
                    && let Some(var) = strip(lhs)
                        .referenced()
                        .filter(|_| strip(lhs).kind() == CursorKind::DeclRefExpr)
                {
                    self.assigned(var, rhs);
                }
            }
            _ => self.walk_children(node),
        }
    }

    fn walk_children(&mut self, node: Cursor<'tu>) {
        for c in node.children() {
            self.walk(c, false, false);
        }
    }

    /// `var = value`: propagate external pointers and log2-computed values.
    fn assigned(&mut self, var: Cursor<'tu>, value: Cursor<'tu>) {
        if let Some(user) = self.is_external(value) {
            self.scope.external.insert(var, user);
        }
        if contains_log2(value) {
            self.log2_vars.insert(var);
        }
    }

    fn call(&mut self, node: Cursor<'tu>, typed: bool) {
        let args = node.arguments();
        let skip_src = node.spelling() == "bpf_probe_read";
        if let Some((map, method)) = self.map_call(node) {
            self.record_call(node, map, method, &args, typed);
        }
        for c in node.children() {
            // BCC leaves the source of the legacy bpf_probe_read alone (spec B.4).
            if skip_src && args.get(2) == Some(&c) {
                continue;
            }
            self.walk(c, false, false);
        }
    }

    /// `m.method(...)` on a map: the map's index and the method.
    fn map_call(&self, node: Cursor<'tu>) -> Option<(usize, Method)> {
        let callee = strip(first_child(&node)?);
        if callee.kind() != CursorKind::MemberRefExpr {
            return None;
        }
        let base = strip_implicit(first_child(&callee)?);
        let var = base
            .referenced()
            .filter(|_| base.kind() == CursorKind::DeclRefExpr)?;
        let name = var.spelling();
        let map = self.program.maps.iter().position(|m| m.name == name)?;
        Some((map, Method::from_name(&callee.spelling())?))
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
        let args = args.iter().filter_map(span_of).collect();
        self.program.calls.push(MapCall {
            map,
            method,
            span,
            args,
            typed_result: typed,
        });
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

    /// The hops of the member chain ending at `node`, innermost first, and its root.
    fn chain(&self, node: Cursor<'tu>) -> Option<(Vec<Hop<'tu>>, Cursor<'tu>)> {
        let text = self.file.text();
        let mut hops = Vec::new();
        let mut cur = node;
        while cur.kind() == CursorKind::MemberRefExpr {
            let base = strip_implicit(first_child(&cur)?);
            let (_, base_end) = base.main_file_range()?;
            let name_at = cur.location();
            if cur.is_from_macro() || !name_at.in_main_file || name_at.offset < base_end {
                return None;
            }
            let op = text.get(base_end as usize..name_at.offset as usize)?.trim();
            hops.push(Hop {
                node: cur,
                name: cur.spelling(),
                arrow: op == "->",
            });
            cur = base;
        }
        hops.reverse();
        Some((hops, cur))
    }

    fn member(&mut self, node: Cursor<'tu>, addr: bool) {
        let Some(first) = first_child(&node) else {
            return;
        };
        let Some((hops, root)) = self.chain(node) else {
            self.walk(first, false, true);
            return;
        };
        self.deref(&hops, root, addr || is_array(&node));
        self.walk(root, false, true);
    }

    /// Records the CO-RE read for a chain whose pointer is external. `addr_only`: the chain's
    /// value is not loaded (under `&`, or an array), so its last `->` hop is address arithmetic.
    fn deref(&mut self, hops: &[Hop<'tu>], root: Cursor<'tu>, addr_only: bool) {
        let base_of = |i: usize| if i == 0 { root } else { hops[i - 1].node };
        let Some((start, user)) = (0..hops.len())
            .filter(|&i| hops[i].arrow)
            .find_map(|i| self.is_external(base_of(i)).map(|u| (i, u)))
        else {
            return;
        };
        let mut end = hops.len();
        if addr_only {
            match (start..hops.len()).rev().find(|&i| hops[i].arrow) {
                Some(last) if last > start => end = last,
                _ => return,
            }
        }
        let mut groups: Vec<Vec<String>> = Vec::new();
        for h in &hops[start..end] {
            match groups.last_mut() {
                Some(g) if !h.arrow => g.push(h.name.clone()),
                _ => groups.push(vec![h.name.clone()]),
            }
        }
        if let (Some(span), Some(base)) = (span_of(&hops[end - 1].node), span_of(&base_of(start))) {
            self.program.derefs.push(KernelDeref {
                span,
                base,
                hops: groups,
                user,
                form: DerefForm::Chain,
            });
        }
    }

    /// Whether `e` evaluates to a pointer into kernel (or user) memory that BPF code cannot
    /// dereference directly (spec B.2); `Some(true)` for user memory.
    fn is_external(&self, e: Cursor<'tu>) -> Option<bool> {
        let ptr = is_pointer(&e);
        let s = strip(e);
        match s.kind() {
            CursorKind::DeclRefExpr => self.scope.external.get(&s.referenced()?).copied(),
            CursorKind::CallExpr => (s.spelling() == "bpf_get_current_task").then_some(false),
            CursorKind::MemberRefExpr | CursorKind::ArraySubscriptExpr
                if ptr && self.rooted_at_ctx(s) =>
            {
                Some(self.scope.ctx_user)
            }
            CursorKind::MemberRefExpr if ptr => self.lvalue_external(s),
            CursorKind::BinaryOperator if ptr => {
                let kids = s.children();
                kids.iter().find_map(|k| self.is_external(*k))
            }
            CursorKind::UnaryOperator if s.unary_operator() == Some("&") => {
                self.lvalue_external(strip(first_child(&s)?))
            }
            _ => None,
        }
    }

    /// Whether the lvalue `e` lies in external memory (`p->a.b` with `p` external).
    fn lvalue_external(&self, e: Cursor<'tu>) -> Option<bool> {
        if e.kind() != CursorKind::MemberRefExpr {
            return None;
        }
        let base = strip_implicit(first_child(&e)?);
        let (_, base_end) = base.main_file_range()?;
        let op = self
            .file
            .text()
            .get(base_end as usize..e.location().offset as usize)
            .map(str::trim);
        if op == Some("->") {
            self.is_external(base)
        } else {
            self.lvalue_external(strip(base))
        }
    }

    /// Whether `e` is a member chain (through casts and subscripts) rooted at the context.
    fn rooted_at_ctx(&self, e: Cursor<'tu>) -> bool {
        let Some(ctx) = self.scope.ctx_param else {
            return false;
        };
        let mut cur = e;
        let mut hops = 0;
        loop {
            cur = strip(cur);
            match cur.kind() {
                CursorKind::MemberRefExpr | CursorKind::ArraySubscriptExpr => {
                    hops += usize::from(cur.kind() == CursorKind::MemberRefExpr);
                    match first_child(&cur) {
                        Some(b) => cur = b,
                        None => return false,
                    }
                }
                CursorKind::DeclRefExpr => return hops > 0 && cur.referenced() == Some(ctx),
                _ => return false,
            }
        }
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
