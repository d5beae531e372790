//! compile: rewritten C → BPF ELF object with `.BTF` and `.BTF.ext`, DWARF stripped.
//!
//! Runs clang `-target bpf -O2 -g` against the cached vmlinux.h (and its precompiled header),
//! maps clang's errors back to the user's lines.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::driver::Define;
use crate::rewrite::Rewritten;
use crate::source::SourceFile;
use crate::toolchain::KernelEnv;

/// A compiled BPF object.
#[derive(Debug, Clone)]
pub struct Object {
    /// The ELF bytes, DWARF stripped.
    pub elf: Vec<u8>,
}

/// Compiles the rewritten C.
pub fn compile(_source: &SourceFile, _rewritten: &Rewritten, _env: &KernelEnv, _defines: &[Define]) -> Result<Object, Diagnostics> {
    Err(Diagnostic::error("bccc::E0400", "compiling is not built yet", "").into())
}
