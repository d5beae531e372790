//! Kernel types the headers lack: a struct or union the file uses but neither vmlinux.h (with
//! the `--btf-module` types) nor the file defines, which clang calls incomplete. Such a type
//! usually lives in a kernel module (`struct nfs_inode` in nfs, `struct ib_device` in `ib_core`).
//!
//! Consumes clang's diagnostics of the parse; produces the missing tags, the host modules that
//! define them (searched only when building for the running kernel, whose
//! `/sys/kernel/btf/<module>` files are split BTF on its `/sys/kernel/btf/vmlinux`), and, for
//! types found nowhere, bccc's diagnostic naming what was searched.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bccc_ffi::clang::{self, Severity};

use crate::toolchain::{self, KernelEnv};

/// A struct or union type clang found incomplete, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing {
    /// `struct` or `union`.
    pub(crate) keyword: String,
    /// The tag.
    pub(crate) tag: String,
}

impl Missing {
    /// `struct nfs_inode`.
    pub(crate) fn spelled(&self) -> String {
        format!("{} {}", self.keyword, self.tag)
    }
}

/// The incomplete record named by a clang message about an incomplete type, if it is one.
/// clang's wordings: "incomplete definition of type 'struct x'", "variable has incomplete type
/// 'struct x'", "invalid application of 'sizeof' to an incomplete type 'struct x'", "tentative
/// definition has type 'struct x' that is never completed", ...
pub(crate) fn incomplete(message: &str) -> Option<Missing> {
    if !(message.contains("incomplete") || message.contains("never completed")) {
        return None;
    }
    message.split('\'').skip(1).step_by(2).find_map(|quoted| {
        let ty = quoted
            .trim_start_matches("const ")
            .trim_start_matches("volatile ");
        let (keyword, tag) = ty.split_once(' ')?;
        let tag = tag.trim_end_matches(['*', ' ']);
        let simple = !tag.is_empty() && tag.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
        (matches!(keyword, "struct" | "union") && simple).then(|| Missing {
            keyword: keyword.to_owned(),
            tag: tag.to_owned(),
        })
    })
}

/// The distinct incomplete records among a translation unit's errors in the user's file.
pub(crate) fn missing(diags: &[clang::Diagnostic]) -> Vec<Missing> {
    let mut out: Vec<Missing> = Vec::new();
    for d in diags {
        if d.severity < Severity::Error || !d.location.in_main_file {
            continue;
        }
        if let Some(m) = incomplete(&d.message)
            && !out.contains(&m)
        {
            out.push(m);
        }
    }
    out
}

/// Whether bccc may add the host's module BTFs: only when building for the running kernel.
pub(crate) fn host_search_applies(env: &KernelEnv) -> bool {
    env.btf == Path::new(toolchain::KERNEL_BTF)
}

/// The host modules (not yet in `env`) that define any of `missing`, with what each defines.
pub(crate) fn host_modules_for(
    env: &KernelEnv,
    missing: &[Missing],
) -> Vec<(PathBuf, Vec<String>)> {
    if !host_search_applies(env) {
        return Vec::new();
    }
    let candidates: Vec<PathBuf> = toolchain::host_modules()
        .into_iter()
        .filter(|m| !env.modules.contains(m))
        .collect();
    let names: Vec<String> = missing.iter().map(|m| m.tag.clone()).collect();
    toolchain::modules_defining(&env.btf, &candidates, &names)
}

/// What the parse searched, in words: the vmlinux BTF, the module BTFs, and the host's.
pub(crate) fn searched(env: &KernelEnv) -> String {
    let mut out = format!("`{}`", env.btf.display());
    if env.modules.is_empty() {
        out.push_str(" and no module BTF (none given with `--btf-module`)");
    } else {
        let names: Vec<String> = env
            .modules
            .iter()
            .map(|m| format!("`{}`", m.display()))
            .collect();
        let _ = write!(out, " and the module BTFs {}", names.join(", "));
    }
    if host_search_applies(env) {
        let n = toolchain::host_modules().len();
        let _ = write!(
            out,
            "; the {n} module BTF file(s) in {} do not define it either",
            toolchain::HOST_BTF_DIR
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_messages_name_the_record() {
        let m = |s: &str| incomplete(s).map(|m| m.spelled());
        assert_eq!(
            m("incomplete definition of type 'struct nfs_inode'").as_deref(),
            Some("struct nfs_inode")
        );
        assert_eq!(
            m("variable has incomplete type 'const struct x'").as_deref(),
            Some("struct x")
        );
        assert_eq!(
            m("invalid application of 'sizeof' to an incomplete type 'union u'").as_deref(),
            Some("union u")
        );
        assert_eq!(
            m("tentative definition has type 'struct t' that is never completed").as_deref(),
            Some("struct t")
        );
        assert_eq!(m("use of undeclared identifier 'x'"), None);
        assert_eq!(m("incomplete type 'int[]'"), None);
    }
}
