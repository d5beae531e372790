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

use std::collections::HashSet;

use bccc_ffi::clang::{ChildVisit, Cursor, CursorKind, TypeKind};

use super::{DisplayHint, Program, RenamedName};
use crate::diagnostics::Diagnostics;
use crate::parse::{Namespace, Renames};

/// Translates `program` (analyzed on the aliased AST) to the renamed names and records the
/// rewrite's token edits. `root` is the translation unit's cursor.
pub(crate) fn apply(
    program: &mut Program,
    renames: &Renames,
    root: Cursor<'_>,
    diags: &mut Diagnostics,
) {
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
