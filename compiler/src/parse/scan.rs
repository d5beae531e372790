//! A lexical pass over the user's file with libclang's lexer (comments included), before the
//! real parse: which `#include`s name kernel headers, which tracepoint structs the file needs,
//! and the comments that carry bccc directives and the tool's help text.

use bccc_ffi::clang::{Token, TokenKind};

use crate::source::Span;

/// One `#include` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// From `#` to the closing `>` or `"`.
    pub span: Span,
    /// The header name between the delimiters.
    pub path: String,
    /// `<...>` rather than `"..."`.
    pub angled: bool,
}

/// A tracepoint the file refers to (`TRACEPOINT_PROBE(cat, ev)` or `struct tracepoint__cat__ev`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracepointRef {
    /// Category.
    pub category: String,
    /// Event.
    pub event: String,
    /// Where the file names it.
    pub span: Span,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The whole comment.
    pub span: Span,
    /// Its text with the delimiters.
    pub text: String,
}

/// What the lexical pass found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// `#include` directives, in order.
    pub includes: Vec<Include>,
    /// Tracepoints, first mention of each.
    pub tracepoints: Vec<TracepointRef>,
    /// Comments, in order.
    pub comments: Vec<Comment>,
    /// Every token, for diagnostics that need a token's extent.
    pub tokens: Vec<Token>,
}

impl Scan {
    /// The token starting at `offset`, if any.
    #[must_use]
    pub fn token_at(&self, offset: u32) -> Option<&Token> {
        let i = self.tokens.partition_point(|t| t.start < offset);
        self.tokens.get(i).filter(|t| t.start == offset)
    }
}

/// The angled `#include`s at the top of the file, before anything but comments and other such
/// includes (a `"..."` include ends them too: what it defines could matter to the next ones):
/// what the precompiled header can take, in the file's order.
#[must_use]
pub fn leading_includes(scan: &Scan) -> Vec<String> {
    let mut out = Vec::new();
    let mut includes = scan.includes.iter().peekable();
    for t in scan.tokens.iter().filter(|t| t.kind != TokenKind::Comment) {
        match includes.peek() {
            Some(inc) if t.start >= inc.span.start && t.end <= inc.span.end => {
                if t.end == inc.span.end {
                    if !inc.angled {
                        break;
                    }
                    out.push(inc.path.clone());
                    includes.next();
                }
            }
            _ => break,
        }
    }
    out
}

/// Scans `tokens` of `text`.
#[must_use]
pub fn scan(text: &str, tokens: Vec<Token>) -> Scan {
    let mut out = Scan::default();
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::Comment => {
                out.comments.push(Comment {
                    span: Span::new(t.start, t.end),
                    text: t.spelling.clone(),
                });
            }
            TokenKind::Punctuation
                if t.spelling == "#" && (i == 0 || tokens[i - 1].line < t.line) =>
            {
                if let Some(inc) = include_at(text, &tokens[i..]) {
                    out.includes.push(inc);
                }
            }
            TokenKind::Identifier if t.spelling == "TRACEPOINT_PROBE" => {
                if let [_, open, cat, comma, ev, close, ..] = &tokens[i..]
                    && (
                        open.spelling.as_str(),
                        comma.spelling.as_str(),
                        close.spelling.as_str(),
                    ) == ("(", ",", ")")
                {
                    push_tp(
                        &mut out,
                        &cat.spelling,
                        &ev.spelling,
                        Span::new(t.start, close.end),
                    );
                }
            }
            TokenKind::Identifier => {
                let struct_before = i > 0 && tokens[i - 1].spelling == "struct";
                if let Some((cat, ev)) = t
                    .spelling
                    .strip_prefix("tracepoint__")
                    .and_then(|r| r.rsplit_once("__"))
                    && struct_before
                    && !cat.is_empty()
                    && !ev.is_empty()
                {
                    push_tp(&mut out, cat, ev, Span::new(t.start, t.end));
                }
            }
            _ => {}
        }
    }
    out.tokens = tokens;
    out
}

fn push_tp(out: &mut Scan, category: &str, event: &str, span: Span) {
    if !out
        .tracepoints
        .iter()
        .any(|t| t.category == category && t.event == event)
    {
        out.tracepoints.push(TracepointRef {
            category: category.into(),
            event: event.into(),
            span,
        });
    }
}

/// An include directive starting at `toks[0]` (the `#`).
fn include_at(text: &str, toks: &[Token]) -> Option<Include> {
    let [hash, kw, first, rest @ ..] = toks else {
        return None;
    };
    if kw.spelling != "include" || kw.line != hash.line {
        return None;
    }
    if first.kind == TokenKind::Literal && first.spelling.starts_with('"') {
        let path = first.spelling.trim_matches('"').to_owned();
        return Some(Include {
            span: Span::new(hash.start, first.end),
            path,
            angled: false,
        });
    }
    if first.spelling.starts_with('<') && first.spelling.ends_with('>') && first.spelling.len() > 2
    {
        // A lexer that knows header names gives one token.
        let path = first.spelling[1..first.spelling.len() - 1].to_owned();
        return Some(Include {
            span: Span::new(hash.start, first.end),
            path,
            angled: true,
        });
    }
    if first.spelling != "<" {
        return None;
    }
    let close = rest
        .iter()
        .take_while(|t| t.line == hash.line)
        .find(|t| t.spelling == ">")?;
    let path = text
        .get(first.end as usize..close.start as usize)?
        .trim()
        .to_owned();
    Some(Include {
        span: Span::new(hash.start, close.end),
        path,
        angled: true,
    })
}
