//! parse: the user's file → a libclang translation unit, parsed against bccc's prelude header
//! (`bccc/parse.h`: BCC maps as structs with function-pointer members), vmlinux.h and libbpf's
//! headers.
//!
//! Consumes a [`SourceFile`] and a [`KernelEnv`]; produces [`Parsed`], which borrows libclang
//! memory and is only walked by `analyze`. Steps, in order:
//! 1. a lexical pass (libclang's lexer) finds `#include`s, tracepoint names and comments;
//! 2. kernel headers named by `#include <...>` that the include dir lacks get empty stub files
//!    (vmlinux.h already declares every kernel type), and each tracepoint's argument struct is
//!    generated from the build host's format file into an unsaved header;
//! 3. the real parse, whose errors and warnings in the user's file become diagnostics, plus a
//!    warning for each `#if`/`#ifdef` that tests the kernel version or config (`conditionals`).

mod conditionals;
mod diagnostics;
pub mod scan;
pub mod tracepoint;

use std::path::{Path, PathBuf};

use bccc_ffi::clang::{self, ParseOptions, Severity, TranslationUnit, UnsavedFile};

use crate::define::Define;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};
use crate::toolchain::{KernelEnv, Stage};
pub use bccc_ffi::clang::Index;
pub use scan::Scan;
pub use tracepoint::{FormatField, FormatSource, TracepointFormat};

/// The prelude every parse includes after `bccc/base.h`.
const PARSE_HEADER: &str = "bccc/parse.h";
/// The generated tracepoint structs, relative to the stub directory.
const TRACEPOINT_HEADER: &str = "bccc_tracepoints.h";

/// Loads libclang and creates an index. Declarations from a precompiled header are excluded
/// from visits (`excludeDeclarationsFromPCH`), which keeps walking the AST cheap.
#[expect(clippy::result_large_err, reason = "the driver's stage signature")]
pub fn new_index(env: &KernelEnv) -> Result<Index, Diagnostic> {
    bccc_ffi::clang::prefer_library_of(&env.clang);
    Index::new(true).map_err(|e| diagnostics::clang(&e))
}

/// A parsed translation unit and what the lexical pass found.
#[derive(Debug)]
pub struct Parsed<'i> {
    tu: TranslationUnit<'i>,
    scan: Scan,
    tracepoints: Vec<TracepointFormat>,
    stubbed: Vec<Span>,
    warnings: Diagnostics,
    // Holds the header stubs; removed on drop.
    _stubs: tempfile::TempDir,
}

impl<'i> Parsed<'i> {
    /// Warnings clang reported for the user's file.
    #[must_use]
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    /// The translation unit.
    #[must_use]
    pub fn tu(&self) -> &TranslationUnit<'i> {
        &self.tu
    }

    /// The lexical pass's findings.
    #[must_use]
    pub fn scan(&self) -> &Scan {
        &self.scan
    }

    /// Layouts of the tracepoints the file uses.
    #[must_use]
    pub fn tracepoints(&self) -> &[TracepointFormat] {
        &self.tracepoints
    }

    /// `#include` directives replaced by empty stubs (kernel headers).
    #[must_use]
    pub fn stubbed_includes(&self) -> &[Span] {
        &self.stubbed
    }
}

/// The main file's path as clang sees it (absolute, so `#include "x.h"` resolves next to it).
fn main_path(source: &SourceFile) -> PathBuf {
    let p = source.path();
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_owned(), |d| d.join(p))
    }
}

/// Step 1: tokens of the file, from a parse that resolves nothing.
#[expect(
    clippy::result_large_err,
    reason = "Diagnostic is the stage's error type"
)]
fn lex(index: &Index, path: &Path, source: &SourceFile) -> Result<Scan, Diagnostic> {
    let unsaved = [UnsavedFile {
        path: path.to_owned(),
        contents: source.text().to_owned(),
    }];
    let opts = ParseOptions {
        detailed_preprocessing: false,
        single_file: true,
    };
    let args = ["-x".to_owned(), "c".to_owned(), "-nostdinc".to_owned()];
    let tu = TranslationUnit::parse(index, path, &args, &unsaved, opts)
        .map_err(|e| diagnostics::clang(&e))?;
    let tokens = tu.tokenize_main(0, source.text().len() as u32).to_vec();
    Ok(scan::scan(source.text(), tokens))
}

/// Step 2a: empty files for kernel headers the include dir lacks; returns the stubbed directives.
#[expect(
    clippy::result_large_err,
    reason = "Diagnostic is the stage's error type"
)]
fn write_stubs(scan: &Scan, env: &KernelEnv, dir: &Path) -> Result<Vec<Span>, Diagnostic> {
    let mut stubbed = Vec::new();
    for inc in scan.includes.iter().filter(|i| i.angled) {
        let rel = Path::new(&inc.path);
        let safe = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !safe || env.include_dir.join(rel).exists() {
            continue;
        }
        let stub = dir.join(rel);
        if let Some(parent) = stub.parent() {
            std::fs::create_dir_all(parent).map_err(|e| diagnostics::stub_dir(&e))?;
        }
        std::fs::write(&stub, "").map_err(|e| diagnostics::stub_dir(&e))?;
        stubbed.push(inc.span);
    }
    Ok(stubbed)
}

/// Whether the BTF at `btf` has a struct named `name`.
fn btf_has_struct(btf: &Path, name: &str) -> bool {
    btf_rs::Btf::from_file_with_backend(btf, btf_rs::Backend::Mmap)
        .and_then(|b| b.resolve_types_by_name(name))
        .is_ok_and(|types| types.iter().any(|t| matches!(t, btf_rs::Type::Struct(_))))
}

/// Step 2b: each referenced tracepoint's layout, or an unknown-tracepoint error.
fn tracepoint_formats(
    scan: &Scan,
    source: &SourceFile,
    env: &KernelEnv,
) -> Result<Vec<TracepointFormat>, Diagnostics> {
    let mut out = Vec::new();
    let mut diags = Diagnostics::default();
    for tp in &scan.tracepoints {
        if let Some(f) = tracepoint::read_format(&tp.category, &tp.event) {
            out.push(f);
        } else if btf_has_struct(&env.btf, &format!("trace_event_raw_{}", tp.event)) {
            out.push(TracepointFormat {
                category: tp.category.clone(),
                event: tp.event.clone(),
                fields: Vec::new(),
                source: FormatSource::Btf,
            });
        } else {
            diags.push(diagnostics::unknown_tracepoint(
                source,
                tp.span,
                &tp.category,
                &tp.event,
            ));
        }
    }
    diags.into_result(out)
}

/// Parses `source`.
pub fn parse<'i>(
    index: &'i Index,
    source: &SourceFile,
    env: &KernelEnv,
    defines: &[Define],
) -> Result<Parsed<'i>, Diagnostics> {
    let path = main_path(source);
    let scan = lex(index, &path, source)?;
    let tracepoints = tracepoint_formats(&scan, source, env)?;
    let stubs = tempfile::Builder::new()
        .prefix("bccc-stubs-")
        .tempdir()
        .map_err(|e| diagnostics::stub_dir(&e))?;
    let stubbed = write_stubs(&scan, env, stubs.path())?;
    let tp_header = stubs.path().join(TRACEPOINT_HEADER);
    std::fs::write(&tp_header, "").map_err(|e| diagnostics::stub_dir(&e))?;
    let tp_text: String = tracepoints.iter().map(tracepoint::struct_text).collect();

    let mut args = env.flags(Stage::Parse);
    args.push(format!("-I{}", stubs.path().display()));
    args.extend(defines.iter().map(Define::flag));
    args.extend([
        "-include".into(),
        PARSE_HEADER.into(),
        "-include".into(),
        tp_header.display().to_string(),
    ]);
    let unsaved = [
        UnsavedFile {
            path: path.clone(),
            contents: source.text().to_owned(),
        },
        UnsavedFile {
            path: tp_header,
            contents: tp_text,
        },
    ];
    let opts = ParseOptions {
        detailed_preprocessing: true,
        single_file: false,
    };
    let tu = TranslationUnit::parse(index, &path, &args, &unsaved, opts)
        .map_err(|e| diagnostics::clang(&e))?;
    let mut diags = map_diagnostics(&tu, source, &scan, &tracepoints, &env.include_dir);
    for test in conditionals::build_time_tests(source.text(), &scan.tokens) {
        if !defines.iter().any(|d| d.name == test.name) {
            diags.push(diagnostics::build_time_test(source, &test));
        }
    }
    // Source order (stable: clang's own order among equal positions).
    diags
        .0
        .sort_by_key(|d| d.labels.first().map_or(u32::MAX, |(span, _)| span.start));
    let warnings = diags.clone();
    let parsed = Parsed {
        tu,
        scan,
        tracepoints,
        stubbed,
        warnings,
        _stubs: stubs,
    };
    diags.into_result(parsed)
}

/// clang's diagnostics → bccc's, in the user's file where clang points there.
fn map_diagnostics(
    tu: &TranslationUnit<'_>,
    source: &SourceFile,
    scan: &Scan,
    tracepoints: &[TracepointFormat],
    include: &Path,
) -> Diagnostics {
    let mut out = Diagnostics::default();
    for d in tu.diagnostics() {
        if d.severity < Severity::Warning {
            continue;
        }
        let loc = &d.location;
        if !loc.in_main_file {
            if d.severity >= Severity::Error {
                let file = loc.file.as_deref().unwrap_or("<built-in>");
                out.push(diagnostics::clang_error_elsewhere(
                    file, loc.line, &d.message,
                ));
            }
            continue;
        }
        let at = diag_span(&d, scan, source.text().len() as u32);
        if d.severity == Severity::Warning {
            out.push(diagnostics::clang_warning(source, at, &d.message));
        } else {
            out.push(
                special_error(source, at, &d.message, tracepoints, include)
                    .unwrap_or_else(|| diagnostics::clang_error(source, at, &d.message)),
            );
        }
    }
    out
}

/// The span a diagnostic points at: the token at its location (clang's ranges start at tokens).
fn diag_span(d: &clang::Diagnostic, scan: &Scan, len: u32) -> Span {
    let at = d.location.offset.min(len);
    match scan.token_at(at) {
        Some(t) => Span::new(t.start, t.end),
        None => Span::new(at, (at + 1).min(len)),
    }
}

/// The name in clang's "use of undeclared identifier 'X'" / "call to undeclared function 'X'".
fn undeclared_name(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("use of undeclared identifier '")
        .or_else(|| message.strip_prefix("call to undeclared function '"))?;
    rest.split_once('\'').map(|(name, _)| name)
}

/// clang's "no member named 'x' in 'struct y'" on a map or tracepoint struct; an undeclared
/// name that bccc's kernel headers leave out (with the generator's reason, or the need this
/// kernel's BTF does not meet).
fn special_error(
    source: &SourceFile,
    span: Span,
    message: &str,
    tps: &[TracepointFormat],
    include: &Path,
) -> Option<Diagnostic> {
    if let Some(name) = undeclared_name(message) {
        if let Some(d) = crate::toolchain::kheaders::dropped(name) {
            return Some(diagnostics::dropped_kernel_name(source, span, name, &d));
        }
        if let Some(need) = crate::toolchain::helpers_off::why_off(include, name) {
            return Some(diagnostics::helper_off(source, span, name, &need));
        }
    }
    let rest = message.strip_prefix("no member named '")?;
    let (member, rest) = rest.split_once('\'')?;
    let record = rest.strip_prefix(" in 'struct ")?.strip_suffix('\'')?;
    if let Some(map) = record.strip_prefix("__bccc_map_") {
        return Some(diagnostics::unknown_method(source, span, map, member));
    }
    let tp = tps.iter().find(|t| t.struct_name() == record)?;
    let fields: Vec<String> = tp.fields.iter().map(FormatField::bcc_name).collect();
    let name = format!("{}:{}", tp.category, tp.event);
    Some(diagnostics::unknown_tp_field(
        source, span, &name, member, &fields,
    ))
}
