//! bccc's comment directives and the tool's help text, read from the lexer's comments (so the
//! file stays valid BCC C):
//!
//! ```text
//! // bccc:attach SPEC[=FN]            on the line(s) right above a function (FN optional there)
//! // bccc:display MAP ROLE ["TITLE"]  anywhere; ROLE = log2 | linear | counts | hidden
//! ```
//! SPEC is the `--attach` syntax (`bccc_manifest::AttachSpec`). TITLE is the histogram column
//! title (BCC's `val_type`, default "value").

use bccc_manifest::AttachSpec;

use super::{DisplayHint, diagnostics};
use crate::diagnostics::Diagnostics;
use crate::parse::scan::Comment;
use crate::source::{SourceFile, Span};

/// A parsed `bccc:attach` directive.
#[derive(Debug, Clone)]
pub(crate) struct AttachDirective {
    pub(crate) spec: AttachSpec,
    pub(crate) func: Option<String>,
    pub(crate) span: Span,
}

/// A parsed `bccc:display` directive.
#[derive(Debug, Clone)]
pub(crate) struct DisplayDirective {
    pub(crate) map: String,
    pub(crate) hint: DisplayHint,
    pub(crate) span: Span,
}

/// The text of a comment without its delimiters.
fn body(text: &str) -> &str {
    let t = text.strip_prefix("//").or_else(|| {
        text.strip_prefix("/*")
            .map(|t| t.strip_suffix("*/").unwrap_or(t))
    });
    t.unwrap_or(text).trim()
}

/// Every directive in `comments`; malformed ones become diagnostics (their spans are returned
/// last, so a function right below one is not reported again as unattached).
pub(crate) fn directives(
    file: &SourceFile,
    comments: &[Comment],
    diags: &mut Diagnostics,
) -> (Vec<AttachDirective>, Vec<DisplayDirective>, Vec<Span>) {
    let mut bad = Vec::new();
    let mut attach = Vec::new();
    let mut display = Vec::new();
    for c in comments {
        let text = body(&c.text);
        if let Some(spec) = text.strip_prefix("bccc:attach") {
            match AttachSpec::parse_with_fn(spec.trim()) {
                Ok((spec, func)) => attach.push(AttachDirective {
                    spec,
                    func,
                    span: c.span,
                }),
                Err(e) => {
                    diags.push(diagnostics::bad_directive(
                        file, c.span, &e.message, e.expected,
                    ));
                    bad.push(c.span);
                }
            }
        } else if let Some(rest) = text.strip_prefix("bccc:display") {
            match parse_display(rest.trim()) {
                Ok((map, hint)) => display.push(DisplayDirective {
                    map,
                    hint,
                    span: c.span,
                }),
                Err(m) => diags.push(diagnostics::bad_display(file, c.span, &m)),
            }
        }
    }
    (attach, display, bad)
}

fn parse_display(text: &str) -> Result<(String, DisplayHint), String> {
    let (map, rest) = text
        .split_once(char::is_whitespace)
        .ok_or("missing the display role")?;
    let rest = rest.trim();
    let (role, title) = match rest.split_once(char::is_whitespace) {
        Some((r, t)) => (r, Some(t.trim())),
        None => (rest, None),
    };
    let title = match title {
        Some(t) => Some(
            t.strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .ok_or("the column title must be in double quotes")?,
        ),
        None => None,
    };
    let val_type = title.unwrap_or("value").to_owned();
    let hint = match role {
        "log2" => DisplayHint::Log2Hist { val_type },
        "linear" => DisplayHint::LinearHist { val_type },
        "counts" => DisplayHint::Counts,
        "hidden" => DisplayHint::Hidden,
        other => return Err(format!("unknown display role `{other}`")),
    };
    Ok((map.to_owned(), hint))
}

/// The tool's help text: the file's first comment (a block comment, or a run of `//` lines
/// without blank lines between them) when the file starts with it, without delimiters, `*`
/// margins or directives.
pub(crate) fn about(text: &str, comments: &[Comment]) -> String {
    let mut lines = Vec::new();
    let mut end = 0;
    for (i, c) in comments.iter().enumerate() {
        let gap = &text[end as usize..c.span.start as usize];
        let continues = i == 0
            || (comments[i - 1].text.starts_with("//")
                && c.text.starts_with("//")
                && gap.matches('\n').count() <= 1);
        if !gap.trim().is_empty() || !continues {
            break;
        }
        end = c.span.end;
        for line in body(&c.text).lines() {
            let line = line.trim();
            let line = line.strip_prefix('*').map_or(line, str::trim_start);
            if !line.starts_with("bccc:") {
                lines.push(line.to_owned());
            }
        }
    }
    while lines.first().is_some_and(String::is_empty) {
        lines.remove(0);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_syntax() {
        let (m, h) = parse_display("dist log2 \"usecs\"").unwrap();
        assert_eq!(
            (m.as_str(), h),
            (
                "dist",
                DisplayHint::Log2Hist {
                    val_type: "usecs".into()
                }
            )
        );
        assert_eq!(parse_display("c counts").unwrap().1, DisplayHint::Counts);
        assert!(parse_display("c pie").is_err());
    }

    #[test]
    fn about_strips_margins() {
        let text = "/*\n * tool: does it.\n *\n * More.\n */\n// next\nint x;";
        let comments = vec![
            Comment {
                span: Span::new(0, 34),
                text: text[..34].into(),
            },
            Comment {
                span: Span::new(35, 42),
                text: "// next".into(),
            },
        ];
        assert_eq!(about(text, &comments), "tool: does it.\n\nMore.");
        let text = "// a\n// b\n\n// c\n";
        let comments = vec![
            Comment {
                span: Span::new(0, 4),
                text: "// a".into(),
            },
            Comment {
                span: Span::new(5, 9),
                text: "// b".into(),
            },
            Comment {
                span: Span::new(11, 15),
                text: "// c".into(),
            },
        ];
        assert_eq!(about(text, &comments), "a\nb");
    }
}
