//! rewrite: [`Program`] + the user's text → libbpf-style CO-RE C, by edits on source ranges, with
//! a source map back to the user's file and `#line` directives so clang reports user lines.

use crate::analyze::Program;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::SourceFile;
use crate::toolchain::KernelEnv;

/// The rewritten C and how it maps back to the user's file.
#[derive(Debug, Clone)]
pub struct Rewritten {
    /// The whole translation unit to hand to clang.
    pub text: String,
}

/// Rewrites `source` according to `program`.
pub fn rewrite(_source: &SourceFile, _program: &Program, _env: &KernelEnv) -> Result<Rewritten, Diagnostics> {
    Err(Diagnostic::error("bccc::E0300", "rewriting is not built yet", "").into())
}
