//! The user's source file: its text, byte spans into it, and line/column lookup.
//!
//! Consumes a path; produces a [`SourceFile`] that every later stage borrows. All spans in the
//! compiler are byte ranges into this one text, so diagnostics can always point at the user's file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A half-open byte range `[start, end)` in the user's source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// Makes a span; `start <= end` is required.
    #[must_use]
    pub fn new(start: u32, end: u32) -> Span {
        debug_assert!(start <= end, "span {start}..{end}");
        Span { start, end }
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(self) -> u32 {
        self.end - self.start
    }

    /// Whether the span is empty.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Whether `other` lies entirely inside `self`.
    #[must_use]
    pub fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The byte range, for slicing.
    #[must_use]
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start as usize, s.len() as usize).into()
    }
}

/// The user's file, loaded once.
#[derive(Debug, Clone)]
pub struct SourceFile {
    path: PathBuf,
    text: Arc<str>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Reads a file from disk.
    pub fn read(path: &Path) -> std::io::Result<SourceFile> {
        let text = std::fs::read_to_string(path)?;
        Ok(SourceFile::new(path.to_owned(), text))
    }

    /// Wraps text that did not come from disk (tests).
    #[must_use]
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1))
            .collect();
        SourceFile {
            path,
            text: text.into(),
            line_starts,
        }
    }

    /// The path as given by the user.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file name without directories, as shown in diagnostics and `#line` directives.
    #[must_use]
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The whole text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text of a span.
    #[must_use]
    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.range()]
    }

    /// 1-based line and column (in bytes) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        (line as u32 + 1, offset - self.line_starts[line] + 1)
    }

    /// Byte offset of a 1-based line and column, clamped to the text.
    #[must_use]
    pub fn offset(&self, line: u32, column: u32) -> u32 {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1) as usize) else {
            return self.text.len() as u32;
        };
        (start + column.saturating_sub(1)).min(self.text.len() as u32)
    }

    /// A miette source for diagnostics that point into this file.
    #[must_use]
    pub fn named_source(&self) -> miette::NamedSource<Arc<str>> {
        miette::NamedSource::new(self.name(), Arc::clone(&self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_round_trips() {
        let f = SourceFile::new("t.c".into(), "ab\ncd\n\nef".into());
        for (off, lc) in [
            (0, (1, 1)),
            (1, (1, 2)),
            (3, (2, 1)),
            (6, (3, 1)),
            (7, (4, 1)),
            (8, (4, 2)),
        ] {
            assert_eq!(f.line_col(off), lc, "offset {off}");
            assert_eq!(f.offset(lc.0, lc.1), off);
        }
    }
}
