//! Edits on source ranges and their rendering with a source map (the model is ruff's `Edit` and
//! `SourceMap`). A replacement is a sequence of [`Piece`]s; a [`Piece::Source`] renders that part
//! of the user's text *with the edits inside it*, so nested rewrites compose:
//! `t->real_parent->tgid` inside a map call argument keeps its own CO-RE edit.

use crate::source::Span;

/// One part of a replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// The user's text of this span (which must lie inside the edit's span), with nested edits.
    Source(Span),
}

/// Replace `span` by `pieces` (an empty span inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The replaced range.
    pub span: Span,
    /// The replacement.
    pub pieces: Vec<Piece>,
}

impl Edit {
    /// Replaces `span` with literal text.
    #[must_use]
    pub fn replace(span: Span, text: impl Into<String>) -> Edit {
        Edit {
            span,
            pieces: vec![Piece::Text(text.into())],
        }
    }

    /// Inserts text at `at`.
    #[must_use]
    pub fn insert(at: u32, text: impl Into<String>) -> Edit {
        Edit::replace(Span::new(at, at), text)
    }

    /// Whether `other` is rendered as part of `self` (inside one of its `Source` pieces or dropped
    /// with the replaced text). An insertion at either end of `self` stays outside.
    fn encloses(&self, other: &Edit) -> bool {
        if other.span.is_empty() {
            self.span.start < other.span.start && other.span.start < self.span.end
        } else {
            self.span.contains(other.span)
        }
    }
}

/// One stretch of output and the user's text it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Mapping {
    /// Output byte range start.
    pub out_start: u32,
    /// Output byte range end.
    pub out_end: u32,
    /// The user's span: the copied text itself, or the whole edit a literal replaced.
    pub source: Span,
}

/// Output offsets ↔ the user's spans.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SourceMap {
    /// Non-overlapping, in output order.
    pub mappings: Vec<Mapping>,
}

impl SourceMap {
    /// The user's span that produced the output byte at `offset` (for copied text, the exact
    /// byte; for generated text, the edit's span).
    #[must_use]
    pub fn source_of(&self, offset: u32) -> Option<Span> {
        let i = self.mappings.partition_point(|m| m.out_end <= offset);
        let m = self.mappings.get(i).filter(|m| m.out_start <= offset)?;
        if m.source.len() == m.out_end - m.out_start {
            let at = m.source.start + (offset - m.out_start);
            Some(Span::new(at, at + 1))
        } else {
            Some(m.source)
        }
    }
}

struct Renderer<'a> {
    text: &'a str,
    edits: &'a [Edit],
    out: String,
    map: SourceMap,
    /// Called after each top-level edit to keep line numbers: (source span, output start).
    fixup: &'a dyn Fn(Span, &str) -> String,
}

impl Renderer<'_> {
    fn push(&mut self, s: &str, source: Span) {
        if s.is_empty() {
            return;
        }
        let start = self.out.len() as u32;
        self.out.push_str(s);
        self.map.mappings.push(Mapping {
            out_start: start,
            out_end: self.out.len() as u32,
            source,
        });
    }

    fn copy(&mut self, from: u32, to: u32) {
        if from < to {
            let text = self.text;
            self.push(&text[from as usize..to as usize], Span::new(from, to));
        }
    }

    /// Renders `range` of the user's text applying edits `from..` that lie inside it.
    fn range(&mut self, range: Span, from: usize, depth: usize) {
        let mut pos = range.start;
        let mut i = from;
        while i < self.edits.len() {
            let e = &self.edits[i];
            let inside = range.contains(e.span)
                && !(e.span.is_empty() && e.span.start == range.end && depth > 0);
            if e.span.start < pos || !inside {
                i += 1;
                continue;
            }
            self.copy(pos, e.span.start);
            let out_start = self.out.len();
            for piece in &e.pieces {
                match piece {
                    Piece::Text(t) => self.push(t, e.span),
                    Piece::Source(s) => self.range(*s, i + 1, depth + 1),
                }
            }
            if depth == 0 {
                let fix = (self.fixup)(e.span, &self.out[out_start..]);
                self.push(&fix, e.span);
            }
            pos = e.span.end;
            let outer = i;
            i += 1;
            while i < self.edits.len() && self.edits[outer].encloses(&self.edits[i]) {
                i += 1;
            }
        }
        self.copy(pos, range.end);
    }
}

/// Applies `edits` to `text`. `fixup(span, rendered)` returns text to append after each
/// top-level edit (newlines or a `#line` directive that keep line numbers). Edits may nest but
/// must not partially overlap; a partially overlapping edit is dropped.
#[must_use]
pub fn render(
    text: &str,
    edits: &[Edit],
    fixup: &dyn Fn(Span, &str) -> String,
) -> (String, SourceMap) {
    let mut sorted = edits.to_vec();
    // Outer edits first; at one start, insertions before replacements.
    sorted.sort_by_key(|e| {
        (
            e.span.start,
            !e.span.is_empty(),
            std::cmp::Reverse(e.span.end),
        )
    });
    let mut r = Renderer {
        text,
        edits: &sorted,
        out: String::new(),
        map: SourceMap::default(),
        fixup,
    };
    r.range(Span::new(0, text.len() as u32), 0, 0);
    (r.out, r.map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: Span, _: &str) -> String {
        String::new()
    }

    #[test]
    fn nested_edits_compose() {
        let text = "x = m.lookup(&t->a->b);";
        let call = Edit {
            span: Span::new(4, 22),
            pieces: vec![
                Piece::Text("bpf_map_lookup_elem(&m, ".into()),
                Piece::Source(Span::new(13, 21)),
                Piece::Text(")".into()),
            ],
        };
        let deref = Edit {
            span: Span::new(14, 21),
            pieces: vec![
                Piece::Text("BPF_CORE_READ(".into()),
                Piece::Source(Span::new(14, 15)),
                Piece::Text(", a, b)".into()),
            ],
        };
        let ins = Edit::insert(0, "/*i*/");
        let (out, map) = render(text, &[deref, call, ins], &none);
        assert_eq!(
            out,
            "/*i*/x = bpf_map_lookup_elem(&m, &BPF_CORE_READ(t, a, b));"
        );
        // `t` maps back to itself, generated text to its edit.
        let t_at = out.find("(t,").unwrap() as u32 + 1;
        assert_eq!(map.source_of(t_at), Some(Span::new(14, 15)));
        assert_eq!(map.source_of(5), Some(Span::new(0, 1)));
        assert_eq!(map.source_of(12), Some(Span::new(4, 22)));
    }

    #[test]
    fn fixup_runs_after_top_level_edits() {
        let text = "A(\n1);\nB;";
        let e = Edit::replace(Span::new(0, 5), "X");
        let (out, _) = render(text, &[e], &|s, r| {
            "\n".repeat(text[s.range()].matches('\n').count() - r.matches('\n').count())
        });
        assert_eq!(out, "X\n;\nB;");
    }
}
