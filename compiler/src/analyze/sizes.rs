//! `sizeof` of kernel types in function bodies (spec B.5): the build host's struct sizes are
//! not the target's, so `sizeof(struct task_struct)`, `sizeof(*task)` and `sizeof(task->comm)`
//! become CO-RE relocations (`bpf_core_type_size`, `bpf_core_field_size`). (`offsetof` needs
//! nothing: libbpf's definition is a member access, which vmlinux.h's `preserve_access_index`
//! already relocates.)
//!
//! Consumes function bodies; produces [`KernelSize`]s. Some sizes must stay the build host's:
//! - where C needs an integer constant expression (`case` labels, array lengths, static
//!   initializers): a relocation is not a constant to the compiler;
//! - in call arguments (`bpf_probe_read(&t, sizeof(t), p)`, `memcpy`): there the size is that of
//!   the program's own storage (locals and map values are laid out from the build host's
//!   vmlinux.h), and the target's size could overrun it.

use bccc_ffi::clang::{Cursor, CursorKind, TypeKind};

use super::ast::span_of;
use super::{KernelSize, SizeForm};
use crate::parse::Scan;
use crate::source::{SourceFile, Span};

/// Every relocatable `sizeof` in `body`.
pub(crate) fn collect(body: Cursor<'_>, file: &SourceFile, scan: &Scan) -> Vec<KernelSize> {
    let mut out = Vec::new();
    walk(body, false, file, scan, &mut out);
    out
}

fn walk(node: Cursor<'_>, host: bool, file: &SourceFile, scan: &Scan, out: &mut Vec<KernelSize>) {
    match node.kind() {
        CursorKind::UnaryExpr => {
            if !host && let Some(size) = kernel_size(node, file, scan) {
                out.push(size);
            }
            // Nothing inside a sizeof is evaluated.
        }
        CursorKind::CaseStmt => {
            for (i, c) in node.children().into_iter().enumerate() {
                walk(c, host || i == 0, file, scan, out);
            }
        }
        CursorKind::VarDecl => {
            let ty = node.ty().canonical().kind();
            let array = matches!(ty, TypeKind::ConstantArray | TypeKind::IncompleteArray);
            for c in node.children() {
                // An array's length, and every initializer of a static variable, must be
                // constant; an array's initializer list is not its length.
                let init = matches!(
                    c.kind(),
                    CursorKind::InitListExpr | CursorKind::StringLiteral
                );
                let needs_constant = node.is_static() || (array && !init);
                walk(c, host || needs_constant, file, scan, out);
            }
        }
        CursorKind::CallExpr => {
            for (i, c) in node.children().into_iter().enumerate() {
                walk(c, host || i > 0, file, scan, out);
            }
        }
        _ => {
            for c in node.children() {
                walk(c, host, file, scan, out);
            }
        }
    }
}

/// `sizeof` (not `alignof`) of a kernel record, or of a kernel record's member.
fn kernel_size(node: Cursor<'_>, file: &SourceFile, scan: &Scan) -> Option<KernelSize> {
    if node.is_from_macro() {
        return None;
    }
    let whole = span_of(&node)?;
    if scan.token_at(whole.start)?.spelling != "sizeof" {
        return None;
    }
    let operand = node.children().into_iter().find(Cursor::is_expression);
    let form = match operand {
        // `sizeof(task->comm)`, `sizeof(t.f)`: the member's size in the target's struct.
        Some(e) if member_of_kernel_record(e) => SizeForm::Field { expr: span_of(&e)? },
        // `sizeof(*task)`: the target's size of the operand's type.
        Some(e) if is_kernel_record(&e.ty()) => SizeForm::TypeOf { expr: span_of(&e)? },
        // `sizeof(struct task_struct)`: the type as written, between the parentheses.
        None if is_kernel_record(&node_operand_type(node)?) => SizeForm::Type {
            spelling: type_text(file, whole)?,
        },
        // Anything else has the same size everywhere.
        _ => return None,
    };
    Some(KernelSize { span: whole, form })
}

/// The type named by `sizeof(T)`: the record its `TypeRef` child refers to.
fn node_operand_type(node: Cursor<'_>) -> Option<bccc_ffi::clang::Type<'_>> {
    node.children()
        .into_iter()
        .find(|c| c.kind() == CursorKind::TypeRef)
        .and_then(|r| r.referenced())
        .map(|d| d.ty())
}

/// The text between `sizeof(` and its closing parenthesis.
fn type_text(file: &SourceFile, span: Span) -> Option<String> {
    let text = file.slice(span);
    let inner = text.strip_prefix("sizeof")?.trim();
    let inner = inner.strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.trim().to_owned())
}

/// A struct or union declared in the kernel's headers (vmlinux.h), not by the user.
fn is_kernel_record(ty: &bccc_ffi::clang::Type<'_>) -> bool {
    let canon = ty.canonical();
    canon.kind() == TypeKind::Record
        && canon.declaration().is_some_and(|d| {
            let loc = d.location();
            !loc.in_main_file
                && loc
                    .file
                    .as_deref()
                    .is_some_and(|f| f.ends_with("vmlinux.h"))
        })
}

/// `base->f` or `base.f` whose record is a kernel one.
fn member_of_kernel_record(e: Cursor<'_>) -> bool {
    let e = super::ast::strip_parens(e);
    e.kind() == CursorKind::MemberRefExpr
        && super::ast::member_base(&e).is_some_and(|b| {
            let ty = b.ty().canonical();
            let record = if ty.kind() == TypeKind::Pointer {
                ty.pointee()
            } else {
                Some(ty)
            };
            record.is_some_and(|r| is_kernel_record(&r))
        })
}
