//! Names the file shares with the headers (spec E.2), renamed by the parse stage
//! ([`crate::parse::names`]) → the token edits the rewrite applies, the C names of renamed
//! globals, and the [`Program`]'s spellings translated from the parse's aliases.
//!
//! The one decision made here: which re-declared kernel structs are CO-RE *flavours*. A user
//! struct whose tag the kernel also has is either a copy of (part of) the kernel's struct, read
//! through kernel pointers (`struct mnt_namespace`, `struct mount`, `struct nameidata`), or the
//! user's own record that merely shares the tag (`struct key` as a map key). The rule:
//! a re-declared tag is a flavour, and gets `preserve_access_index` so CO-RE relocates each
//! field access by name against the kernel's type, when
//! 1. the kernel's BTF (vmlinux or a module) has a struct or union of that name;
//! 2. every member the user declares is a member of the kernel's type (a prefix or any subset:
//!    BCC tools copy the fields they read, `// [...]` the rest); and
//! 3. the program never holds a value of it: no variable, parameter, map key or value, member of
//!    a non-flavour struct, or event of that type, only pointers. Such values are the user's
//!    layout (a map slot, an event the runtime decodes from the object's BTF, a local copy filled
//!    by `bpf_probe_read`), where a relocated offset would read or write the wrong bytes.
//!
//! Otherwise it is renamed only, keeping the user's layout exactly as BCC compiled it.
//!
//! A *view* is the same thing under a tag the kernel does not have: runqlen's and
//! cpuunclaimed's `struct cfs_rq_partial`, a hand-copied prefix of `struct cfs_rq`, cast from
//! `task->se.cfs_rq`. A user struct cast from a pointer to kernel struct `K`, whose members are
//! all `K`'s and which is never held by value, becomes the flavour `K___<tag>`, so its reads
//! relocate against `K` too (a member `K` no longer has, like `cfs_rq.nr_running` since 6.14,
//! then fails the load with libbpf's CO-RE error instead of reading the wrong bytes).

use std::collections::HashSet;

use bccc_ffi::clang::{ChildVisit, Cursor, CursorKind, TypeKind};

use super::{DisplayHint, Program, RenamedName};
use crate::diagnostics::Diagnostics;
use crate::parse::names::tag_occurrences;
use crate::parse::{Namespace, Rename, RenamedToken, Renames, scan::Scan};

/// Translates `program` (analyzed on the aliased AST) to the renamed names and records the
/// rewrite's token edits. `root` is the translation unit's cursor.
pub(crate) fn apply(
    program: &mut Program,
    parsed: &Renames,
    scan: &Scan,
    root: Cursor<'_>,
    diags: &mut Diagnostics,
) {
    let with_views;
    let renames = match views(root, parsed, scan) {
        extra if extra.is_empty() => parsed,
        extra => {
            with_views = extra;
            &with_views
        }
    };
    if renames.is_empty() {
        return;
    }
    let flavours = flavours(program, renames, root);
    program.renamed = renames
        .tokens
        .iter()
        .map(|t| {
            let r = &renames.names[t.rename];
            RenamedName {
                span: t.span,
                to: r.renamed.clone(),
                flavour: t.defines && flavours.contains(&r.alias),
            }
        })
        .collect();
    program.c_names = renames
        .names
        .iter()
        .filter(|r| r.namespace == Namespace::Ordinary)
        .map(|r| (r.name.clone(), r.renamed.clone()))
        .collect();
    respell(program, renames);
    for d in &mut diags.0 {
        d.message = renames.user_spelling(&d.message);
        d.help = renames.user_spelling(&d.help);
        for (_, label) in &mut d.labels {
            *label = renames.user_spelling(label);
        }
    }
}

/// Aliases in the program's names and type spellings → the user's names (what the manifest
/// shows) or the renamed spellings (what the rewritten C says).
fn respell(program: &mut Program, renames: &Renames) {
    let c = |s: &mut String| *s = renames.renamed_spelling(s);
    for m in &mut program.maps {
        m.name = renames.user_spelling(&m.name);
        for t in [&mut m.key, &mut m.value].into_iter().flatten() {
            c(&mut t.spelling);
        }
        if let Some(t) = &mut m.event_ctype {
            c(t);
        }
        if let DisplayHint::Events { event_type } = &mut m.display {
            c(event_type);
        }
    }
    for p in &mut program.probes {
        c(&mut p.function);
        for param in &mut p.params {
            c(&mut param.ty);
            c(&mut param.name);
        }
    }
    for p in &mut program.params {
        p.name = renames.user_spelling(&p.name);
    }
    for h in &mut program.helpers {
        c(&mut h.name);
    }
}

/// `parsed` plus the views (module doc): user structs cast from pointers to a kernel struct whose
/// members they copy. Empty when there are none.
fn views(root: Cursor<'_>, parsed: &Renames, scan: &Scan) -> Renames {
    let mut found: Vec<(String, String, Vec<String>)> = Vec::new();
    root.visit(|c, _| {
        if c.kind() == CursorKind::CStyleCastExpr
            && c.location().in_main_file
            && let Some((user, kernel)) = cast_records(c)
            && parsed.by_alias(&user).is_none()
            && !found.iter().any(|(u, _, _)| *u == user)
        {
            let mut mine = Vec::new();
            members(user_ty(c), &mut mine, 0);
            let mut theirs = Vec::new();
            if let Some(k) = kernel_ty(c) {
                members(k, &mut theirs, 0);
            }
            if !mine.is_empty() && mine.iter().all(|m| theirs.contains(m)) {
                found.push((user, kernel, theirs));
            }
        }
        ChildVisit::Recurse
    });
    if found.is_empty() {
        return Renames::default();
    }
    let mut out = parsed.clone();
    for (user, kernel, members) in found {
        let index = out.names.len();
        out.tokens
            .extend(
                tag_occurrences(&scan.tokens, &user)
                    .into_iter()
                    .map(|(span, defines)| RenamedToken {
                        span,
                        rename: index,
                        defines,
                    }),
            );
        out.names.push(Rename {
            renamed: format!("{kernel}___{user}"),
            alias: user.clone(),
            name: user,
            namespace: Namespace::Tag,
            kernel_members: Some(members),
        });
    }
    out.tokens.sort_by_key(|t| t.span.start);
    out
}

/// The pointee record of a pointer type, if any.
fn pointee_record(ty: bccc_ffi::clang::Type<'_>) -> Option<bccc_ffi::clang::Type<'_>> {
    let p = ty.canonical().pointee()?.canonical();
    (p.kind() == TypeKind::Record).then_some(p)
}

/// The cast's operand, parentheses and implicit conversions stripped.
fn operand(cast: Cursor<'_>) -> Option<Cursor<'_>> {
    let mut c = cast.children().into_iter().rfind(Cursor::is_expression)?;
    while matches!(c.kind(), CursorKind::ParenExpr | CursorKind::UnexposedExpr) {
        c = c.children().into_iter().rfind(Cursor::is_expression)?;
    }
    Some(c)
}

fn user_ty(cast: Cursor<'_>) -> bccc_ffi::clang::Type<'_> {
    pointee_record(cast.ty()).unwrap_or_else(|| cast.ty())
}

fn kernel_ty(cast: Cursor<'_>) -> Option<bccc_ffi::clang::Type<'_>> {
    pointee_record(operand(cast)?.ty())
}

/// `(struct U *)expr` with `U` defined in the user's file and `expr` a pointer to a struct
/// declared in the headers: the tags (U, K).
fn cast_records(cast: Cursor<'_>) -> Option<(String, String)> {
    let user = pointee_record(cast.ty())?.declaration()?;
    let kernel = kernel_ty(cast)?.declaration()?;
    if !user.location().in_main_file || kernel.location().in_main_file {
        return None;
    }
    let (u, k) = (user.spelling(), kernel.spelling());
    let named = |s: &str| !s.is_empty() && s.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    (named(&u) && named(&k) && u != k).then_some((u, k))
}

/// The aliases of the re-declared tags that are kernel flavours (the rule in the module doc).
fn flavours(program: &Program, renames: &Renames, root: Cursor<'_>) -> HashSet<String> {
    let mut fits: HashSet<String> = HashSet::new();
    let mut defs: Vec<Cursor<'_>> = Vec::new();
    root.visit(|c, _| {
        if c.location().in_main_file
            && matches!(c.kind(), CursorKind::StructDecl | CursorKind::UnionDecl)
            && c.is_definition()
        {
            defs.push(c);
        }
        ChildVisit::Recurse
    });
    for r in renames
        .names
        .iter()
        .filter(|r| r.namespace == Namespace::Tag)
    {
        let Some(kernel) = &r.kernel_members else {
            continue;
        };
        let mine: Vec<&Cursor<'_>> = defs.iter().filter(|d| d.spelling() == r.alias).collect();
        let subset = !mine.is_empty()
            && mine.iter().all(|d| {
                let mut names = Vec::new();
                members(d.ty(), &mut names, 0);
                names.iter().all(|n| kernel.contains(n))
            });
        if subset {
            fits.insert(r.alias.clone());
        }
    }
    if fits.is_empty() {
        return fits;
    }
    for held in held_by_value(root, &fits) {
        fits.remove(&held);
    }
    for m in &program.maps {
        if let DisplayHint::Events { event_type } = &m.display {
            fits.remove(event_type);
        }
    }
    fits
}

/// Member names of a record type, anonymous struct and union members flattened (as C and
/// `KernelBtf::record_members` see them).
fn members(ty: bccc_ffi::clang::Type<'_>, out: &mut Vec<String>, depth: u32) {
    if depth > 16 {
        return;
    }
    for f in ty.canonical().fields() {
        let name = f.spelling();
        if name.is_empty() {
            members(f.ty(), out, depth + 1);
        } else {
            out.push(name);
        }
    }
}

/// Which of `tags` (aliases) the file holds by value: a variable, parameter or member (of a
/// record that is not itself one of `tags`) whose type, arrays stripped, is the record. The map
/// macros declare keys and values as members, so those count too.
fn held_by_value(root: Cursor<'_>, tags: &HashSet<String>) -> HashSet<String> {
    let mut held = HashSet::new();
    root.visit(|c, parent| {
        if !c.location().in_main_file {
            return ChildVisit::Continue;
        }
        let holder = match c.kind() {
            CursorKind::VarDecl | CursorKind::ParmDecl => true,
            CursorKind::FieldDecl => !tags.contains(&parent.spelling()),
            _ => false,
        };
        if holder && let Some(tag) = record_of_value(c.ty()) {
            if tags.contains(&tag) {
                held.insert(tag);
            }
        }
        ChildVisit::Recurse
    });
    held
}

/// The tag of the record a value of `ty` is (arrays stripped), if it is one.
fn record_of_value(ty: bccc_ffi::clang::Type<'_>) -> Option<String> {
    let mut t = ty.canonical();
    while let Some(e) = t.element() {
        t = e.canonical();
    }
    (t.kind() == TypeKind::Record)
        .then(|| t.declaration().map(|d| d.spelling()))
        .flatten()
}
