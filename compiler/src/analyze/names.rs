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
//! 2. every member the program accesses (`.`, `->`) is a member of the kernel's type (BCC
//!    tools copy a prefix or the fields they read, `// [...]` the rest, and may keep members
//!    this kernel dropped, like mountsnoop's `count` under `#if LINUX_VERSION_CODE`: those are
//!    never read, so they do not count); and
//! 3. the program never holds a value of it: no variable, parameter, map key or value, member of
//!    a non-flavour struct, or event of that type, only pointers. Such values are the user's
//!    layout (a map slot, an event the runtime decodes from the object's BTF, a local copy filled
//!    by `bpf_probe_read`), where a relocated offset would read or write the wrong bytes.
//!
//! Otherwise it is renamed only, keeping the user's layout exactly as BCC compiled it.
//!
//! A *view* is the same thing under a tag the kernel does not have: runqlen's and
//! cpuunclaimed's `struct cfs_rq_partial`, a hand-copied prefix of `struct cfs_rq`, cast from
//! `task->se.cfs_rq`. A user struct cast from a pointer to kernel struct `K` that meets rules 2
//! and 3 against `K` becomes the flavour `K___<tag>`, so its reads
//! relocate against `K` too (a member `K` no longer has, like `cfs_rq.nr_running` since 6.14,
//! then fails the load with libbpf's CO-RE error instead of reading the wrong bytes).

use std::collections::HashSet;

use bccc_ffi::clang::{ChildVisit, Cursor, CursorKind, TypeKind};

use super::{DisplayHint, Program, RenamedName};
use crate::diagnostics::Diagnostics;
use crate::parse::names::{FLAVOUR_SUFFIX, tag_occurrences};
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
    let accessed = accessed_members(root);
    let mut renames = views(root, parsed, scan, &accessed);
    if renames.is_empty() {
        return;
    }
    let flavours = flavours(program, &renames, root, &accessed);
    for (i, r) in renames.names.iter_mut().enumerate() {
        let view = i >= parsed.names.len();
        match (flavours.contains(&r.alias), view) {
            (true, false) => r.renamed = format!("{}{FLAVOUR_SUFFIX}", r.name),
            // A view that is no flavour keeps its name: it clashes with nothing.
            (false, true) => r.renamed.clone_from(&r.name),
            _ => {}
        }
    }
    let renames = &renames;
    program.renamed = renames
        .tokens
        .iter()
        .filter(|t| renames.names[t.rename].renamed != renames.names[t.rename].name)
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

/// `parsed` plus the candidate views (module doc): user structs cast from pointers to a kernel
/// struct whose members they access, named `K___tag` (the flavour decides whether they stay).
fn views(root: Cursor<'_>, parsed: &Renames, scan: &Scan, accessed: &Accessed) -> Renames {
    let mut found: Vec<(String, String, Vec<String>)> = Vec::new();
    root.visit(|c, _| {
        if c.kind() == CursorKind::CStyleCastExpr
            && c.location().in_main_file
            && let Some((user, kernel)) = cast_records(c)
            && parsed.by_alias(&user).is_none()
            && !found.iter().any(|(u, _, _)| *u == user)
        {
            let mut theirs = Vec::new();
            if let Some(k) = kernel_ty(c) {
                members(k, &mut theirs, 0);
            }
            let reads = accessed.get(&user).map_or(&[][..], Vec::as_slice);
            if !reads.is_empty() && reads.iter().all(|m| theirs.contains(m)) {
                found.push((user, kernel, theirs));
            }
        }
        ChildVisit::Recurse
    });
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
fn flavours(
    program: &Program,
    renames: &Renames,
    root: Cursor<'_>,
    accessed: &Accessed,
) -> HashSet<String> {
    let mut defined: HashSet<String> = HashSet::new();
    root.visit(|c, _| {
        if c.location().in_main_file
            && matches!(c.kind(), CursorKind::StructDecl | CursorKind::UnionDecl)
            && c.is_definition()
        {
            defined.insert(c.spelling());
        }
        ChildVisit::Recurse
    });
    let mut fits: HashSet<String> = renames
        .names
        .iter()
        .filter(|r| r.namespace == Namespace::Tag && defined.contains(&r.alias))
        .filter(|r| {
            r.kernel_members.as_ref().is_some_and(|kernel| {
                accessed
                    .get(&r.alias)
                    .is_none_or(|used| used.iter().all(|m| kernel.contains(m)))
            })
        })
        .map(|r| r.alias.clone())
        .collect();
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

/// Per record tag (as the AST spells it), the members the file accesses with `.` or `->`.
type Accessed = std::collections::HashMap<String, Vec<String>>;

fn accessed_members(root: Cursor<'_>) -> Accessed {
    let mut out = Accessed::new();
    root.visit(|c, _| {
        if c.kind() == CursorKind::MemberRefExpr
            && c.location().in_main_file
            && let Some(base) = c.children().into_iter().find(Cursor::is_expression)
        {
            let ty = base.ty().canonical();
            let record =
                pointee_record(ty).or_else(|| (ty.kind() == TypeKind::Record).then_some(ty));
            if let Some(tag) = record.and_then(|r| r.declaration()).map(|d| d.spelling()) {
                let members = out.entry(tag).or_default();
                let name = c.spelling();
                if !members.contains(&name) {
                    members.push(name);
                }
            }
        }
        ChildVisit::Recurse
    });
    out
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
        if holder
            && let Some(tag) = record_of_value(c.ty())
            && tags.contains(&tag)
        {
            held.insert(tag);
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
