//! The compile stage's diagnostics (`bccc::E040x`): clang's messages mapped onto the user's file.
//!
//! clang prints `FILE:LINE:COL: error: MESSAGE` (with `-fno-caret-diagnostics`, one line each).
//! Because the rewritten C carries `#line` directives, FILE is the user's file and LINE/COL are
//! already user positions for every line that came from the user; anything else is a problem in
//! code bccc generated or in the headers.

use std::path::Path;

use super::ElfError;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::rewrite::Rewritten;
use crate::source::{SourceFile, Span};

/// clang's severity words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Error,
    Warning,
    Note,
}

/// One parsed clang line.
#[derive(Debug, PartialEq, Eq)]
struct ClangLine<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    level: Level,
    message: &'a str,
}

fn parse_line(text: &str) -> Option<ClangLine<'_>> {
    let (level, idx, word) = [
        (Level::Error, ": fatal error: "),
        (Level::Error, ": error: "),
        (Level::Warning, ": warning: "),
        (Level::Note, ": note: "),
    ]
    .into_iter()
    .find_map(|(level, word)| text.find(word).map(|i| (level, i, word)))?;
    let mut loc = text[..idx].rsplitn(3, ':');
    let column = loc.next()?.parse().ok()?;
    let line = loc.next()?.parse().ok()?;
    let file = loc.next()?;
    Some(ClangLine {
        file,
        line,
        column,
        level,
        message: &text[idx + word.len()..],
    })
}

/// Whether clang's `file` is the user's file (the name a `#line` directive gave it).
fn is_user_file(source: &SourceFile, file: &str) -> bool {
    let path = Path::new(file);
    path == source.path()
        || path
            .file_name()
            .is_some_and(|n| n.to_string_lossy() == source.name())
}

/// The token starting at `line:column`, so the label underlines an identifier, not one byte.
fn span_at(source: &SourceFile, line: u32, column: u32) -> Span {
    let start = source.offset(line, column);
    let text = source.text().as_bytes();
    let word = text[start as usize..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let len = if word > 0 {
        word
    } else {
        usize::from((start as usize) < text.len())
    };
    Span::new(start, start + len as u32)
}

/// Where an error in generated code came from: the rewritten C is `generated` (written to a
/// file named `generated_name`), and its source map leads back to the user's construct.
pub(super) struct Generated<'a> {
    /// The rewritten text and its source map.
    pub rewritten: &'a Rewritten,
    /// The file name clang saw for it.
    pub file_name: &'a str,
}

impl Generated<'_> {
    /// The user's span behind `line:column` of the generated file, if clang meant that file.
    fn user_span(&self, file: &str, line: u32, column: u32) -> Option<Span> {
        if Path::new(file).file_name()?.to_string_lossy() != self.file_name {
            return None;
        }
        let text = &self.rewritten.text;
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1) as usize)
            .map(str::len)
            .sum();
        let offset = (line_start + column.saturating_sub(1) as usize).min(text.len());
        self.rewritten.source_map.source_of(offset as u32)
    }
}

/// Every diagnostic clang printed, as bccc diagnostics. Notes become extra labels of the
/// diagnostic they belong to; warnings outside the user's file (headers) are dropped.
pub(super) fn from_clang(
    source: &SourceFile,
    generated: &Generated<'_>,
    stderr: &str,
) -> Diagnostics {
    let mut out = Diagnostics::default();
    for parsed in stderr.lines().filter_map(parse_line) {
        let user = is_user_file(source, parsed.file);
        match (parsed.level, user) {
            (Level::Note, true) => {
                if let Some(last) = out.0.last_mut().filter(|d| d.source.is_some()) {
                    let span = span_at(source, parsed.line, parsed.column);
                    *last = last
                        .clone()
                        .label(source, span, format!("note: {}", parsed.message));
                }
            }
            (Level::Note | Level::Warning, false) => {}
            (Level::Error, true) => out.push(
                Diagnostic::error(
                    "bccc::E0401",
                    parsed.message,
                    "clang rejects this line of the BPF program",
                )
                .label(
                    source,
                    span_at(source, parsed.line, parsed.column),
                    parsed.message,
                ),
            ),
            (Level::Warning, true) => out.push(
                Diagnostic::warning(
                    "bccc::E0402",
                    parsed.message,
                    "clang warns about this line of the BPF program",
                )
                .label(
                    source,
                    span_at(source, parsed.line, parsed.column),
                    parsed.message,
                ),
            ),
            (Level::Error, false) => {
                let d = Diagnostic::error(
                    "bccc::E0403",
                    format!(
                        "clang rejects code bccc generated ({}:{}:{}): {}",
                        parsed.file, parsed.line, parsed.column, parsed.message
                    ),
                    "this is a bccc bug unless it names your macros; `bccc build --emit c` shows the generated C",
                );
                out.push(
                    match generated.user_span(parsed.file, parsed.line, parsed.column) {
                        Some(span) => d.label(source, span, "generated from this"),
                        None => d,
                    },
                );
            }
        }
    }
    out
}

/// The diagnostics of a failed clang run: the parsed ones, or clang's raw output when nothing
/// parsed (a crash, an unknown flag).
pub(super) fn failed(mut parsed: Diagnostics, stderr: &str) -> Diagnostics {
    if !parsed.has_errors() {
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        parsed.push(Diagnostic::error(
            "bccc::E0400",
            format!("clang failed:\n{}", tail.join("\n")),
            "`bccc build --emit c` writes the C that was compiled, to reproduce this with clang",
        ));
    }
    parsed
}

/// Whether clang's complaint is about the precompiled header rather than the code.
pub(super) fn is_pch_problem(stderr: &str) -> bool {
    stderr.contains("precompiled header") || stderr.contains("PCH file")
}

pub(super) fn io(what: &str, e: &std::io::Error) -> Diagnostics {
    Diagnostic::error(
        "bccc::E0404",
        format!("cannot write {what}: {e}"),
        "check that TMPDIR is writable",
    )
    .into()
}

pub(super) fn spawn(clang: &Path, e: &std::io::Error) -> Diagnostics {
    Diagnostic::error(
        "bccc::E0405",
        format!("cannot run `{}`: {e}", clang.display()),
        "install clang with `apt-get install clang-19`, or set BCCC_CLANG",
    )
    .into()
}

pub(super) fn bad_object(e: &ElfError) -> Diagnostics {
    Diagnostic::error(
        "bccc::E0406",
        format!("clang produced an unusable BPF object: {e}"),
        "check that BCCC_CLANG is a clang with the BPF target",
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clang_lines() {
        let l = parse_line("tool.c:7:22: error: use of undeclared identifier 'y'").unwrap();
        assert_eq!(
            (l.file, l.line, l.column, l.level),
            ("tool.c", 7, 22, Level::Error)
        );
        assert_eq!(l.message, "use of undeclared identifier 'y'");
        let l = parse_line("/a:b/x.h:1:2: fatal error: 'z.h' file not found").unwrap();
        assert_eq!((l.file, l.level), ("/a:b/x.h", Level::Error));
        assert!(parse_line("1 error generated.").is_none());
        assert!(parse_line("clang-19: error: unknown argument: '-x'").is_none());
    }

    #[test]
    fn maps_user_errors_and_attaches_notes() {
        let src = SourceFile::new(
            "/x/tool.c".into(),
            "int a;\nint f(void){\treturn  yy; }\n".into(),
        );
        let stderr = "tool.c:2:22: error: use of undeclared identifier 'yy'\n\
                      tool.c:1:5: note: did you mean 'a'?\n\
                      /tmp/bccc-1/tool.bpf.c:40:1: error: generated\n\
                      /c/include/vmlinux.h:3:1: warning: header noise\n";
        let rewritten = Rewritten {
            text: String::new(),
            source_map: crate::rewrite::SourceMap::default(),
        };
        let d = from_clang(
            &src,
            &Generated {
                rewritten: &rewritten,
                file_name: "tool.bpf.c",
            },
            stderr,
        );
        assert_eq!(d.0.len(), 2);
        assert_eq!(d.0[0].code, "bccc::E0401");
        assert_eq!(src.slice(d.0[0].labels[0].0), "yy");
        assert_eq!(src.slice(d.0[0].labels[1].0), "a");
        assert_eq!(d.0[1].code, "bccc::E0403");
        assert!(
            failed(d, stderr).0.len() == 2,
            "parsed errors are not duplicated"
        );
        assert_eq!(
            failed(Diagnostics::default(), "boom").0[0].code,
            "bccc::E0400"
        );
    }
}
