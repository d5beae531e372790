//! Safe wrappers over libclang (dlopened through clang-sys at run time).
//!
//! Consumes C text and compiler flags; produces a [`TranslationUnit`] whose [`Cursor`]s, [`Type`]s,
//! [`Tokens`] and [`Diagnostic`]s borrow it, so none can outlive the libclang memory they point
//! into. Every `unsafe` call to libclang in bccc lives in this module and its children.
//!
//! clang-sys keeps the loaded library in a thread-local, so [`Index::new`] loads it for the calling
//! thread the first time; an [`Index`] and everything borrowed from it stay on that thread
//! (they hold raw pointers, so they are neither `Send` nor `Sync`).

mod cursor;
mod tokens;
mod types;

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_ulong};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::ptr;

use clang_sys as sys;

pub use cursor::{ChildVisit, Cursor, CursorKind, EvalResult, FileLocation};
pub use tokens::{Token, TokenKind, Tokens};
pub use types::{Type, TypeKind};

/// Why libclang could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ClangError {
    /// The shared library was not found or could not be opened.
    #[error("cannot load libclang ({reason}); install libclang1-19 (apt)")]
    Load {
        /// What clang-sys reported.
        reason: String,
    },
    /// `clang_parseTranslationUnit2` failed before producing any diagnostics.
    #[error("libclang could not parse `{}` (error code {code})", path.display())]
    Parse {
        /// The main file.
        path: PathBuf,
        /// The `CXErrorCode`.
        code: i32,
    },
    /// A path or argument contained a NUL byte.
    #[error("argument contains a NUL byte: {0:?}")]
    Nul(String),
}

/// Loads libclang for the calling thread unless it is already loaded.
pub fn load() -> Result<(), ClangError> {
    if sys::is_loaded() {
        return Ok(());
    }
    sys::load().map_err(|reason| ClangError::Load { reason })
}

/// Points libclang discovery at the library that ships with `clang_binary` (for Debian's
/// `/usr/bin/clang-19` → `/usr/lib/llvm-19/lib/libclang-19.so.1`), unless `LIBCLANG_PATH` is
/// already set; when nothing suitable is found, clang-sys' own search runs as usual.
///
/// Two reasons: libclang must be the same version as the clang that built the precompiled
/// header, and clang-sys' own search (running `llvm-config`, scanning every library directory)
/// costs tens of milliseconds, a large part of a warm `bccc build`.
///
/// Call it before the process starts threads: it sets an environment variable.
pub fn prefer_library_of(clang_binary: &Path) {
    if std::env::var_os("LIBCLANG_PATH").is_none()
        && let Some(chosen) = library_next_to(clang_binary)
    {
        // SAFETY: `bccc`'s driver calls this before it starts any thread, so nothing reads the
        // environment concurrently; Rust readers elsewhere (test harnesses) take std's env lock,
        // and only clang-sys, a Rust reader, looks at this variable.
        unsafe { std::env::set_var("LIBCLANG_PATH", &chosen) };
    }
}

/// The libclang shared library in the LLVM installation `clang_binary` belongs to.
fn library_next_to(clang_binary: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(clang_binary).ok()?;
    let lib_dir = real.parent()?.parent()?.join("lib");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&lib_dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("libclang") && n.contains(".so") && !n.starts_with("libclang-cpp")
            })
        })
        .collect();
    // Prefer the versioned soname (`libclang-19.so.1`) over the dev symlink (`libclang.so`).
    candidates.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    candidates.into_iter().next()
}

/// Turns a libclang-owned `CXString` into a `String` and frees it.
pub(crate) fn cx_string(s: sys::CXString) -> String {
    // SAFETY: `s` was just returned by libclang and is owned by us; clang_getCString returns a
    // NUL-terminated string (or NULL) valid until clang_disposeString, which we call exactly once
    // after copying it.
    unsafe {
        let p = sys::clang_getCString(s);
        let out = if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        };
        sys::clang_disposeString(s);
        out
    }
}

/// A libclang index (owns `CXIndex`).
#[derive(Debug)]
pub struct Index {
    raw: sys::CXIndex,
}

impl Index {
    /// Loads libclang (once per thread) and creates an index.
    ///
    /// `exclude_pch_decls` sets `excludeDeclarationsFromPCH`: with a precompiled header, visiting
    /// the translation unit then skips the (hundred thousand) declarations the PCH holds.
    pub fn new(exclude_pch_decls: bool) -> Result<Index, ClangError> {
        load()?;
        // SAFETY: libclang is loaded for this thread; both arguments are plain ints.
        let raw = unsafe { sys::clang_createIndex(c_int::from(exclude_pch_decls), 0) };
        Ok(Index { raw })
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        // SAFETY: `raw` came from clang_createIndex and every TU borrowing this index is gone
        // (TranslationUnit<'idx> borrows it), so disposing it now is valid and happens once.
        unsafe { sys::clang_disposeIndex(self.raw) }
    }
}

/// A file whose contents libclang should use instead of what is on disk.
#[derive(Debug, Clone)]
pub struct UnsavedFile {
    /// The path as clang will see it.
    pub path: PathBuf,
    /// The contents.
    pub contents: String,
}

/// Options for [`TranslationUnit::parse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Record macro expansions and definitions (`CXTranslationUnit_DetailedPreprocessingRecord`).
    pub detailed_preprocessing: bool,
    /// Parse only the main file; `#include`s are not resolved (`SingleFileParse`). For tokenizing.
    pub single_file: bool,
}

/// A parsed translation unit.
#[derive(Debug)]
pub struct TranslationUnit<'idx> {
    raw: sys::CXTranslationUnit,
    _index: PhantomData<&'idx Index>,
}

fn cstring(s: &str) -> Result<CString, ClangError> {
    CString::new(s).map_err(|_| ClangError::Nul(s.to_owned()))
}

fn path_cstring(p: &Path) -> Result<CString, ClangError> {
    cstring(&p.to_string_lossy())
}

impl<'idx> TranslationUnit<'idx> {
    /// Parses `path` with `args`; `unsaved` replace files on disk (the main file among them, if
    /// its text did not come from disk).
    pub fn parse(
        index: &'idx Index,
        path: &Path,
        args: &[String],
        unsaved: &[UnsavedFile],
        opts: ParseOptions,
    ) -> Result<TranslationUnit<'idx>, ClangError> {
        let c_path = path_cstring(path)?;
        let c_args = args
            .iter()
            .map(|a| cstring(a))
            .collect::<Result<Vec<_>, _>>()?;
        let arg_ptrs: Vec<*const c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
        let c_unsaved = unsaved
            .iter()
            .map(|u| Ok((path_cstring(&u.path)?, u.contents.as_bytes())))
            .collect::<Result<Vec<_>, ClangError>>()?;
        let mut raw_unsaved: Vec<sys::CXUnsavedFile> = c_unsaved
            .iter()
            .map(|(p, c)| sys::CXUnsavedFile {
                Filename: p.as_ptr(),
                Contents: c.as_ptr().cast(),
                Length: c.len() as c_ulong,
            })
            .collect();
        let mut flags = sys::CXTranslationUnit_KeepGoing;
        if opts.detailed_preprocessing {
            flags |= sys::CXTranslationUnit_DetailedPreprocessingRecord;
        }
        if opts.single_file {
            flags |= sys::CXTranslationUnit_SingleFileParse | sys::CXTranslationUnit_Incomplete;
        }
        let mut raw = ptr::null_mut();
        // SAFETY: every pointer passed (path, argv, unsaved files) points into CStrings and byte
        // slices that live until this call returns; libclang copies what it keeps. `raw` is a valid
        // out-pointer.
        let code = unsafe {
            sys::clang_parseTranslationUnit2(
                index.raw,
                c_path.as_ptr(),
                arg_ptrs.as_ptr(),
                arg_ptrs.len() as c_int,
                raw_unsaved.as_mut_ptr(),
                raw_unsaved.len() as c_uint,
                flags,
                &raw mut raw,
            )
        };
        if code != sys::CXError_Success || raw.is_null() {
            return Err(ClangError::Parse {
                path: path.to_owned(),
                code,
            });
        }
        Ok(TranslationUnit {
            raw,
            _index: PhantomData,
        })
    }

    /// The cursor for the whole translation unit.
    #[must_use]
    pub fn cursor(&self) -> Cursor<'_> {
        // SAFETY: `raw` is a live TU; the cursor borrows `self`.
        Cursor::from_raw(unsafe { sys::clang_getTranslationUnitCursor(self.raw) })
    }

    /// Every diagnostic clang produced.
    #[must_use]
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        // SAFETY: `raw` is a live TU.
        let n = unsafe { sys::clang_getNumDiagnostics(self.raw) };
        (0..n)
            .map(|i| {
                // SAFETY: `i < n`; the diagnostic is owned by us and disposed right after reading.
                unsafe {
                    let d = sys::clang_getDiagnostic(self.raw, i);
                    let out = Diagnostic::read(d, cursor::main_file(self.raw));
                    sys::clang_disposeDiagnostic(d);
                    out
                }
            })
            .collect()
    }

    /// Lexes the byte range `[start, end)` of the main file (comments included).
    #[must_use]
    pub fn tokenize_main(&self, start: u32, end: u32) -> Tokens<'_> {
        Tokens::new(self, start, end)
    }

    pub(crate) fn raw(&self) -> sys::CXTranslationUnit {
        self.raw
    }
}

impl Drop for TranslationUnit<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from clang_parseTranslationUnit2; cursors, types and tokens borrow
        // `self` and are gone, so it is disposed exactly once.
        unsafe { sys::clang_disposeTranslationUnit(self.raw) }
    }
}

/// How serious a clang diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Ignored or a note attached to another diagnostic.
    Note,
    /// A warning.
    Warning,
    /// An error.
    Error,
    /// An error that stopped parsing.
    Fatal,
}

/// One clang diagnostic, copied out of libclang.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// clang's message.
    pub message: String,
    /// Where clang points (file location of the expansion).
    pub location: FileLocation,
    /// Highlighted ranges (file byte offsets), same file as `location`.
    pub ranges: Vec<(u32, u32)>,
}

impl Diagnostic {
    /// # Safety
    /// `d` must be a live `CXDiagnostic`.
    unsafe fn read(d: sys::CXDiagnostic, main: sys::CXFile) -> Diagnostic {
        // SAFETY: `d` is live (caller); all calls below only read from it.
        unsafe {
            let severity = match sys::clang_getDiagnosticSeverity(d) {
                sys::CXDiagnostic_Fatal => Severity::Fatal,
                sys::CXDiagnostic_Error => Severity::Error,
                sys::CXDiagnostic_Warning => Severity::Warning,
                _ => Severity::Note,
            };
            let message = cx_string(sys::clang_getDiagnosticSpelling(d));
            let location = FileLocation::expansion(sys::clang_getDiagnosticLocation(d), main);
            let ranges = (0..sys::clang_getDiagnosticNumRanges(d))
                .filter_map(|i| {
                    let r = sys::clang_getDiagnosticRange(d, i);
                    let a = FileLocation::expansion(sys::clang_getRangeStart(r), main);
                    let b = FileLocation::expansion(sys::clang_getRangeEnd(r), main);
                    (a.file == location.file && b.file == location.file)
                        .then_some((a.offset, b.offset))
                })
                .collect();
            Diagnostic {
                severity,
                message,
                location,
                ranges,
            }
        }
    }
}

#[cfg(test)]
mod tests;
