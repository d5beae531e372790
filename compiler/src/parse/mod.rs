//! parse: the user's file → a libclang translation unit, parsed against bccc's prelude header
//! (BCC maps as structs with function-pointer members), vmlinux.h and libbpf's headers.
//!
//! Consumes a [`SourceFile`] and a [`KernelEnv`]; produces [`Parsed`], which borrows libclang
//! memory and is only walked by `analyze`.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::driver::Define;
use crate::source::SourceFile;
use crate::toolchain::KernelEnv;

pub use bccc_ffi::clang::Index;

/// Loads libclang and creates an index.
pub fn new_index() -> Result<Index, Diagnostic> {
    Err(Diagnostic::error("bccc::E0100", "libclang support is not built yet", ""))
}

/// A parsed translation unit.
#[derive(Debug)]
pub struct Parsed<'i> {
    index: std::marker::PhantomData<&'i Index>,
    warnings: Diagnostics,
}

impl Parsed<'_> {
    /// Warnings clang reported for the user's file.
    #[must_use]
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }
}

/// Parses `source`.
pub fn parse<'i>(
    _index: &'i Index,
    _source: &SourceFile,
    _env: &KernelEnv,
    _defines: &[Define],
) -> Result<Parsed<'i>, Diagnostics> {
    Err(Diagnostic::error("bccc::E0100", "parsing is not built yet", "").into())
}
