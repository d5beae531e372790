//! package: `Program` + compiled object → [`Manifest`] (layouts decoded from the object's BTF),
//! then the output file: a copy of the runtime with the payload in a `.bccc.payload` section,
//! written to a temporary file and renamed.

use std::path::Path;

use bccc_manifest::Manifest;

use crate::analyze::Program;
use crate::compile::Object;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::SourceFile;

/// Builds the manifest.
pub fn manifest(_source: &SourceFile, _program: &Program, _object: &Object, _name: &str) -> Result<Manifest, Diagnostics> {
    Err(Diagnostic::error("bccc::E0500", "packaging is not built yet", "").into())
}

/// The runtime executable's bytes: `path` if given, else the one embedded at build time.
pub fn runtime_bytes(_path: Option<&Path>) -> Result<Vec<u8>, Diagnostic> {
    Err(Diagnostic::error("bccc::E0500", "packaging is not built yet", ""))
}

/// Writes the runtime with the payload embedded to `out`, mode 0755.
pub fn write_binary(_runtime: &[u8], _manifest: &Manifest, _object: &Object, _out: &Path) -> Result<(), Diagnostic> {
    Err(Diagnostic::error("bccc::E0500", "packaging is not built yet", ""))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(_path: &Path, _bytes: &[u8], _mode: u32) -> Result<(), Diagnostic> {
    Err(Diagnostic::error("bccc::E0500", "packaging is not built yet", ""))
}
