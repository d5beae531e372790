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
//! 3. the real parse; when clang reports that the file re-declares a name the headers declare
//!    (spec E.2), those names are renamed ([`names`]) and the file is parsed again;
//! 4. a struct the headers lack (clang: incomplete) is looked up in the running kernel's module
//!    BTFs when building for it (`modules`); a module that has it is added to the kernel
//!    environment and the file parsed again;
//! 5. the errors and warnings in the user's file become diagnostics, plus a warning for each
//!    `#if`/`#ifdef` that tests the kernel version or config (`conditionals`).

mod conditionals;
mod diagnostics;
mod modules;
pub mod names;
pub mod scan;
pub mod tracepoint;

use std::path::{Path, PathBuf};

use bccc_ffi::clang::{self, ParseOptions, Severity, TranslationUnit, UnsavedFile};

use crate::define::Define;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};
use crate::toolchain::{KernelEnv, Stage};
pub use bccc_ffi::clang::Index;
pub use names::{Namespace, Rename, RenamedToken, Renames};
pub use scan::Scan;
pub use tracepoint::{FormatField, FormatSource, StructFor, TracepointFormat};

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
    renames: Renames,
    env: Option<KernelEnv>,
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

    /// Names the file shares with the headers, renamed (the AST spells them by their aliases).
    #[must_use]
    pub fn renames(&self) -> &Renames {
        &self.renames
    }

    /// The kernel environment the file was parsed against when the parse added the host's
    /// module BTFs to the one it was given (later stages must use it); `None` otherwise.
    #[must_use]
    pub fn kernel_env(&self) -> Option<&KernelEnv> {
        self.env.as_ref()
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

/// Step 2b: each referenced tracepoint's layout, or an unknown-tracepoint error.
fn tracepoint_formats(
    scan: &Scan,
    source: &SourceFile,
    env: &KernelEnv,
) -> Result<Vec<TracepointFormat>, Diagnostics> {
    let mut out = Vec::new();
    let mut diags = Diagnostics::default();
    for tp in &scan.tracepoints {
        let format = tracepoint::read_format(&tp.category, &tp.event)
            .or_else(|| tracepoint::from_btf(&env.btf, &tp.category, &tp.event));
        if let Some(f) = format {
            out.push(f);
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
    // The program's leading kernel #includes come precompiled (macros a -D could change are
    // parsed as usual: with -D flags, nothing more is precompiled).
    let with_includes = if defines.is_empty() {
        let leading = scan::leading_includes(&scan);
        Some(env.with_includes(&leading)?).filter(|e| e.parse_pch != env.parse_pch)
    } else {
        None
    };
    let env = with_includes.as_ref().unwrap_or(env);
    let tracepoints = tracepoint_formats(&scan, source, env)?;
    let stubs = tempfile::Builder::new()
        .prefix("bccc-stubs-")
        .tempdir()
        .map_err(|e| diagnostics::stub_dir(&e))?;
    let stubbed = write_stubs(&scan, env, stubs.path())?;
    let tp_header = stubs.path().join(TRACEPOINT_HEADER);
    std::fs::write(&tp_header, "").map_err(|e| diagnostics::stub_dir(&e))?;
    let tp_text: String = tracepoints
        .iter()
        .map(|t| tracepoint::struct_text(t, StructFor::Parse))
        .collect();

    let mut args = env.flags(Stage::Parse);
    args.push(format!("-I{}", stubs.path().display()));
    args.extend(defines.iter().map(Define::flag));
    args.extend([
        "-include".into(),
        PARSE_HEADER.into(),
        "-include".into(),
        tp_header.display().to_string(),
    ]);
    let opts = ParseOptions {
        detailed_preprocessing: true,
        single_file: false,
    };
    #[expect(
        clippy::result_large_err,
        reason = "Diagnostic is the stage's error type"
    )]
    let run = |text: String| {
        let unsaved = [
            UnsavedFile {
                path: path.clone(),
                contents: text,
            },
            UnsavedFile {
                path: tp_header.clone(),
                contents: tp_text.clone(),
            },
        ];
        TranslationUnit::parse(index, &path, &args, &unsaved, opts)
            .map_err(|e| diagnostics::clang(&e))
    };
    let mut tu = run(source.text().to_owned())?;
    let mut clashes = Vec::new();
    let mut renames = Renames::default();
    // clang may stop reporting after many errors: parse again while new clashes show up.
    for _ in 0..MAX_RENAME_ROUNDS {
        let new = new_clashes(&tu, &scan, &renames, &clashes);
        if new.is_empty() {
            break;
        }
        clashes.extend(new);
        renames = plan_renames(&clashes, &scan, env);
        drop(tu);
        tu = run(renames.aliased_text(source.text()))?;
    }
    let clang_diags = tu.diagnostics();
    let missing = modules::missing(&clang_diags);
    if !missing.is_empty() {
        let found = modules::host_modules_for(env, &missing);
        if !found.is_empty() {
            drop(tu);
            return with_host_modules(index, source, env, defines, &found);
        }
    }
    let ctx = DiagContext {
        source,
        scan: &scan,
        tracepoints: &tracepoints,
        renames: &renames,
        env,
    };
    let mut diags = map_diagnostics(&ctx, clang_diags);
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
        renames,
        env: with_includes,
        warnings,
        _stubs: stubs,
    };
    diags.into_result(parsed)
}

/// Parses again against `env` plus the host modules in `found` (which define types the file
/// uses), saying which were added.
fn with_host_modules<'i>(
    index: &'i Index,
    source: &SourceFile,
    env: &KernelEnv,
    defines: &[Define],
    found: &[(PathBuf, Vec<String>)],
) -> Result<Parsed<'i>, Diagnostics> {
    let mut modules = env.modules.clone();
    modules.extend(found.iter().map(|(m, _)| m.clone()));
    let added = crate::toolchain::prepare_with_modules(None, &modules, env.arch)?;
    let notes = found
        .iter()
        .map(|(m, types)| diagnostics::module_added(m, types));
    match parse(index, source, &added, defines) {
        Ok(mut parsed) => {
            parsed.warnings.0.extend(notes);
            parsed.env.get_or_insert(added);
            Ok(parsed)
        }
        Err(mut diags) => {
            diags.0.extend(notes);
            Err(diags)
        }
    }
}

/// How often the file is parsed again for names it re-declares (each round adds the clashes
/// clang reported in the previous one).
const MAX_RENAME_ROUNDS: usize = 3;

/// The clashes a parse reports that are not renamed yet (a clash of an alias is the user's own
/// redefinition, which renaming cannot fix).
fn new_clashes(
    tu: &TranslationUnit<'_>,
    scan: &Scan,
    renames: &Renames,
    known: &[(String, Namespace)],
) -> Vec<(String, Namespace)> {
    names::clashes(&tu.diagnostics(), &scan.tokens)
        .into_iter()
        .filter(|c| !known.contains(c) && renames.by_alias(&c.0).is_none())
        .collect()
}

/// The names the parses found re-declared (clang's redefinition errors), planned for renaming;
/// the kernel's members of each clashing tag come from its BTF (and modules').
fn plan_renames(clashes: &[(String, Namespace)], scan: &Scan, env: &KernelEnv) -> Renames {
    let kernel = clashes
        .iter()
        .any(|(_, ns)| *ns == Namespace::Tag)
        .then(|| bccc_ffi::btf_dump::KernelBtf::open(&env.btf, &env.modules).ok())
        .flatten();
    names::plan(clashes, &scan.tokens, |tag| {
        kernel.as_ref().and_then(|k| k.record_members(tag))
    })
}

/// What turning clang's diagnostics into bccc's needs to know.
struct DiagContext<'a> {
    source: &'a SourceFile,
    scan: &'a Scan,
    tracepoints: &'a [TracepointFormat],
    renames: &'a Renames,
    env: &'a KernelEnv,
}

/// clang's diagnostics → bccc's, in the user's file where clang points there (aliases of
/// renamed names spelled as the user wrote them; one diagnostic per type found nowhere).
fn map_diagnostics(ctx: &DiagContext<'_>, clang_diags: Vec<clang::Diagnostic>) -> Diagnostics {
    let (source, scan, tracepoints) = (ctx.source, ctx.scan, ctx.tracepoints);
    let mut out = Diagnostics::default();
    let mut reported: Vec<modules::Missing> = Vec::new();
    for mut d in clang_diags {
        if d.severity < Severity::Warning {
            continue;
        }
        d.message = ctx.renames.user_spelling(&d.message);
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
        if let Some(m) = modules::incomplete(&d.message).filter(|_| d.severity >= Severity::Error) {
            if !reported.contains(&m) {
                let searched = modules::searched(ctx.env);
                out.push(diagnostics::type_not_found(
                    source,
                    at,
                    &m.spelled(),
                    &searched,
                ));
                reported.push(m);
            }
            continue;
        }
        if d.severity == Severity::Warning {
            out.push(diagnostics::clang_warning(source, at, &d.message));
        } else {
            out.push(
                special_error(
                    source,
                    at,
                    &d.message,
                    tracepoints,
                    ctx.renames,
                    &ctx.env.include_dir,
                )
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
    renames: &Renames,
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
        let map = renames.user_spelling(map);
        return Some(diagnostics::unknown_method(source, span, &map, member));
    }
    let tp = tps.iter().find(|t| t.struct_name() == record)?;
    let fields: Vec<String> = tp.fields.iter().map(FormatField::bcc_name).collect();
    let name = format!("{}:{}", tp.category, tp.event);
    Some(diagnostics::unknown_tp_field(
        source, span, &name, member, &fields,
    ))
}
