//! analyze: walks the libclang AST of the user's file and produces a [`Program`] (maps, probes,
//! map-method calls, kernel-pointer dereferences, tracepoint arguments, parameters), each fact
//! with its span. No libclang type leaves this module.

mod program;

pub use program::*;

use bccc_manifest::AttachSpec;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::parse::Parsed;
use crate::source::SourceFile;

/// Analyzes a parsed file. `cli_attach` are the `--attach` specs with their function names.
pub fn analyze(
    _parsed: &Parsed<'_>,
    _source: &SourceFile,
    _cli_attach: &[(AttachSpec, String)],
) -> Result<Program, Diagnostics> {
    Err(Diagnostic::error("bccc::E0200", "analysis is not built yet", "").into())
}
