//! Tokens of the main file, from libclang's lexer (comments included).

use std::ptr;

use clang_sys as sys;

use super::cursor::FileLocation;
use super::{TranslationUnit, cx_string};

/// What kind of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `(`, `#`, `->`, ...
    Punctuation,
    /// `int`, `struct`, ...
    Keyword,
    /// Names.
    Identifier,
    /// Numbers, strings, characters.
    Literal,
    /// `// ...` or `/* ... */`.
    Comment,
}

/// One token, copied out of libclang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Kind.
    pub kind: TokenKind,
    /// The text.
    pub spelling: String,
    /// Byte offset of the first byte in the main file.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// 1-based line of the first byte.
    pub line: u32,
}

/// The tokens of a range of the main file; frees libclang's token array on drop.
#[derive(Debug)]
pub struct Tokens<'tu> {
    tu: sys::CXTranslationUnit,
    _tu: std::marker::PhantomData<&'tu ()>,
    raw: *mut sys::CXToken,
    len: u32,
}

impl<'tu> Tokens<'tu> {
    pub(crate) fn new(tu: &'tu TranslationUnit<'_>, start: u32, end: u32) -> Tokens<'tu> {
        let (mut raw, mut len) = (ptr::null_mut(), 0);
        // SAFETY: `tu` is live; the main file id and locations come from it; out-pointers are
        // valid locals. libclang allocates the array, freed in Drop.
        unsafe {
            let file = sys::clang_getFile(tu.raw(), main_file_name(tu).as_ptr());
            if !file.is_null() {
                let a = sys::clang_getLocationForOffset(tu.raw(), file, start);
                let b = sys::clang_getLocationForOffset(tu.raw(), file, end);
                sys::clang_tokenize(
                    tu.raw(),
                    sys::clang_getRange(a, b),
                    &raw mut raw,
                    &raw mut len,
                );
            }
        }
        Tokens {
            tu: tu.raw(),
            _tu: std::marker::PhantomData,
            raw,
            len,
        }
    }

    /// Number of tokens.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies every token out.
    #[must_use]
    pub fn to_vec(&self) -> Vec<Token> {
        (0..self.len).map(|i| self.get(i)).collect()
    }

    fn get(&self, i: u32) -> Token {
        // SAFETY: `i < len`, so the pointer is inside libclang's array, alive until Drop.
        let t = unsafe { *self.raw.add(i as usize) };
        // SAFETY: `t` is a token of the live TU.
        let (kind, spelling, extent) = unsafe {
            (
                sys::clang_getTokenKind(t),
                cx_string(sys::clang_getTokenSpelling(self.tu, t)),
                sys::clang_getTokenExtent(self.tu, t),
            )
        };
        let kind = match kind {
            sys::CXToken_Punctuation => TokenKind::Punctuation,
            sys::CXToken_Keyword => TokenKind::Keyword,
            sys::CXToken_Identifier => TokenKind::Identifier,
            sys::CXToken_Literal => TokenKind::Literal,
            _ => TokenKind::Comment,
        };
        // SAFETY: `extent` is a plain value of the live TU.
        let (a, b) = unsafe {
            (
                sys::clang_getRangeStart(extent),
                sys::clang_getRangeEnd(extent),
            )
        };
        let main = super::cursor::main_file(self.tu);
        let (a, b) = (
            FileLocation::expansion(a, main),
            FileLocation::expansion(b, main),
        );
        Token {
            kind,
            spelling,
            start: a.offset,
            end: b.offset,
            line: a.line,
        }
    }
}

fn main_file_name(tu: &TranslationUnit<'_>) -> std::ffi::CString {
    // SAFETY: `tu` is live; the TU cursor's spelling is the main file's name.
    let name = cx_string(unsafe { sys::clang_getTranslationUnitSpelling(tu.raw()) });
    std::ffi::CString::new(name).unwrap_or_default()
}

impl Drop for Tokens<'_> {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            // SAFETY: `raw`/`len` came from clang_tokenize on this TU and are freed once.
            unsafe { sys::clang_disposeTokens(self.tu, self.raw, self.len) }
        }
    }
}
