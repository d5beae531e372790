//! Preprocessor conditionals of the user's file (from the lexical pass's tokens) that test the
//! kernel version or configuration: `#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 16, 0)`,
//! `#ifdef CONFIG_NUMA`, `#if IS_ENABLED(CONFIG_X)`. BCC answers them with the running kernel's
//! headers; bccc builds once for every kernel, so the answer the preprocessor gives is the
//! same everywhere (`LINUX_VERSION_CODE` is libbpf's load-time `LINUX_KERNEL_VERSION`, 0 in `#if`;
//! no CONFIG_* is defined). Produces the tests to warn about, each with the name it tests.

use bccc_ffi::clang::{Token, TokenKind};

use crate::source::Span;

/// What a conditional tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tested {
    /// `LINUX_VERSION_CODE` (or its `_MAJOR`/`_PATCHLEVEL`/`_SUBLEVEL` parts).
    Version,
    /// A `CONFIG_*` option, directly or through `IS_ENABLED()` and its family.
    Config,
}

/// One conditional that tests the kernel at build time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BuildTimeTest {
    /// The tested name's token.
    pub span: Span,
    /// The name (`LINUX_VERSION_CODE`, `CONFIG_NUMA`).
    pub name: String,
    /// Its kind.
    pub tested: Tested,
    /// The directive (`if`, `ifdef`, `elif`, ...).
    pub directive: String,
}

const CONDITIONALS: &[&str] = &["if", "ifdef", "ifndef", "elif", "elifdef", "elifndef"];
const VERSION: &[&str] = &[
    "LINUX_VERSION_CODE",
    "LINUX_VERSION_MAJOR",
    "LINUX_VERSION_PATCHLEVEL",
    "LINUX_VERSION_SUBLEVEL",
];
const CONFIG_FAMILY: &[&str] = &["IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE"];

/// The conditionals of `tokens` (of `text`) that test the kernel version or configuration,
/// leaving out names the file itself `#define`s (a tool's own switch named CONFIG_*).
#[must_use]
pub(super) fn build_time_tests(text: &str, tokens: &[Token]) -> Vec<BuildTimeTest> {
    let mut out = Vec::new();
    let mut defined = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let starts_line = i == 0 || tokens[i - 1].line < t.line;
        if t.spelling != "#" || !starts_line {
            continue;
        }
        let line = directive_tokens(text, &tokens[i + 1..]);
        let Some((kw, rest)) = line.split_first() else {
            continue;
        };
        if kw.spelling == "define"
            && let Some(name) = rest.first()
        {
            defined.push(name.spelling.as_str());
        } else if CONDITIONALS.contains(&kw.spelling.as_str())
            && let Some(found) = first_tested(rest)
        {
            out.push(BuildTimeTest {
                span: Span::new(found.0.start, found.0.end),
                name: found.0.spelling.clone(),
                tested: found.1,
                directive: kw.spelling.clone(),
            });
        }
    }
    out.retain(|t| !defined.contains(&t.name.as_str()));
    out
}

/// The tokens of a directive after its `#`: to the end of the logical line (lines joined by a
/// trailing backslash), comments left out.
fn directive_tokens<'t>(text: &str, after_hash: &'t [Token]) -> Vec<&'t Token> {
    let mut out: Vec<&Token> = Vec::new();
    let mut line_end = after_hash.first().map_or(0, |t| t.start);
    for t in after_hash {
        let between = text.get(line_end as usize..t.start as usize).unwrap_or("");
        let continued = between
            .split('\n')
            .rev()
            .skip(1)
            .all(|l| l.trim_end_matches('\r').ends_with('\\'));
        if !continued {
            break;
        }
        line_end = t.end;
        if t.kind != TokenKind::Comment {
            out.push(t);
        }
    }
    out
}

/// The name in a conditional's tokens that tests the kernel: the first version or CONFIG_*
/// name (for `IS_ENABLED(CONFIG_X)`, the option inside), else an `IS_ENABLED`-family macro.
fn first_tested<'t>(toks: &[&'t Token]) -> Option<(&'t Token, Tested)> {
    let names = || toks.iter().filter(|t| t.kind == TokenKind::Identifier);
    names()
        .find_map(|t| {
            let s = t.spelling.as_str();
            if VERSION.contains(&s) {
                Some((*t, Tested::Version))
            } else {
                s.starts_with("CONFIG_").then_some((*t, Tested::Config))
            }
        })
        .or_else(|| {
            names()
                .find(|t| CONFIG_FAMILY.contains(&t.spelling.as_str()))
                .map(|t| (*t, Tested::Config))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tokens of `text` split on whitespace and parentheses (enough for directives).
    fn lex(text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut line = 1;
        let mut start = None;
        let push = |s: usize, e: usize, line: u32, out: &mut Vec<Token>| {
            let spelling = text[s..e].to_owned();
            let kind = if spelling.chars().all(|c| c.is_alphanumeric() || c == '_') {
                TokenKind::Identifier
            } else {
                TokenKind::Punctuation
            };
            out.push(Token {
                kind,
                spelling,
                start: s as u32,
                end: e as u32,
                line,
            });
        };
        for (i, c) in text.char_indices() {
            let single = matches!(c, '(' | ')' | '#' | '\\' | ',');
            if c.is_whitespace() || single {
                if let Some(s) = start.take() {
                    push(s, i, line, &mut out);
                }
                if single && c != '\\' {
                    push(i, i + 1, line, &mut out);
                }
                if c == '\n' {
                    line += 1;
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            push(s, text.len(), line, &mut out);
        }
        out
    }

    fn names(text: &str) -> Vec<(String, Tested)> {
        build_time_tests(text, &lex(text))
            .into_iter()
            .map(|t| (t.name, t.tested))
            .collect()
    }

    #[test]
    fn version_and_config_conditionals_are_found() {
        let text = "#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 16, 0)\nint a;\n#endif\n\
                    #ifdef CONFIG_NUMA\n#endif\n#if IS_ENABLED(CONFIG_PREEMPT)\n#endif\n\
                    #if defined(X) && \\\n defined(CONFIG_Y)\n#endif\n";
        assert_eq!(
            names(text),
            [
                ("LINUX_VERSION_CODE".to_owned(), Tested::Version),
                ("CONFIG_NUMA".to_owned(), Tested::Config),
                ("CONFIG_PREEMPT".to_owned(), Tested::Config),
                ("CONFIG_Y".to_owned(), Tested::Config),
            ]
        );
    }

    #[test]
    fn own_switches_and_c_tests_are_not_warned_about() {
        let text = "#define CONFIG_MINE 1\n#ifdef CONFIG_MINE\n#endif\n\
                    int f(void) { if (LINUX_VERSION_CODE > 1) return 1; return 0; }\n\
                    #if X\n#endif\n#ifdef Y\nCONFIG_Z\n#endif\n";
        assert!(names(text).is_empty(), "{:?}", names(text));
    }
}
