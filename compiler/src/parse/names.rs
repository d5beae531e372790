//! Names the user's file shares with the headers it is parsed after (spec E.2): vmlinux.h,
//! libbpf's headers and bccc's `compat.h` declare thousands of struct tags, typedefs and enum
//! constants, and BCC programs re-declare some of them (`struct mnt_namespace { ... }`, a map
//! named like a kernel typedef, `enum { UNKNOWN, ... }` against a kernel enumerator).
//!
//! Consumes clang's diagnostics of a first parse (the clashes are exactly its redefinition
//! errors) and the file's tokens; produces [`Renames`]: which names to rename, every token that
//! spells them, and for each name
//! - an *alias* of the same length, used only in the text libclang parses, so the AST is valid
//!   and every offset in it is still the user's file's (the alias never reaches the output);
//! - the *renamed* spelling the rewritten C uses: `<name>__bccc`, or for a struct the analyzer
//!   finds to be a copy of the kernel's, `<name>___bccc`. Three underscores are the CO-RE
//!   flavour convention: libbpf ignores a `___suffix` when it matches a local type against the
//!   kernel's, so a flavour with `preserve_access_index` relocates against the real type. Two
//!   are not: the user's own types must never match a kernel type (`BPF_CORE_READ` relocates
//!   whatever type it reads through). The package stage drops either suffix from the names it
//!   shows.
//!
//! Which tokens spell a name is decided lexically, by namespace: a tag is the identifier after
//! `struct`, `union` or `enum`; an ordinary identifier is any other use except member names
//! (after `.` or `->`, member declarators inside a struct body, and the member arguments of
//! `offsetof`, `container_of` and `BPF_CORE_READ`), which live in their records' namespaces.

use std::collections::HashSet;

use bccc_ffi::clang::{self, Severity, Token, TokenKind};

use crate::source::Span;

/// The suffix renamed names get: not a CO-RE flavour suffix (two underscores).
pub const SUFFIX: &str = "__bccc";
/// The suffix of re-declared kernel structs that are CO-RE flavours of the kernel's.
pub const FLAVOUR_SUFFIX: &str = "___bccc";

/// Which C namespace a clashing name lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Namespace {
    /// A struct, union or enum tag.
    Tag,
    /// A typedef, variable (maps included), function or enum constant.
    Ordinary,
}

/// One clashing name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The user's spelling.
    pub name: String,
    /// The same-length identifier the parse sees instead.
    pub alias: String,
    /// The spelling in the rewritten C (`name__bccc`, or `name___bccc` for a flavour).
    pub renamed: String,
    /// Its namespace.
    pub namespace: Namespace,
    /// For a tag: the members of the kernel's struct or union of that name (vmlinux or a
    /// module BTF), if the kernel has one.
    pub kernel_members: Option<Vec<String>>,
}

/// One token of the user's file that spells a renamed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenamedToken {
    /// The token.
    pub span: Span,
    /// Index into [`Renames::names`].
    pub rename: usize,
    /// Whether it is the tag of a definition (`struct T {`).
    pub defines: bool,
}

/// Every clashing name and every token that spells one.
#[derive(Debug, Clone, Default)]
pub struct Renames {
    /// The names.
    pub names: Vec<Rename>,
    /// Their tokens, in file order.
    pub tokens: Vec<RenamedToken>,
}

impl Renames {
    /// Whether nothing clashes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The user's text with every renamed token replaced by its alias (same offsets).
    #[must_use]
    pub fn aliased_text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for t in &self.tokens {
            let alias = &self.names[t.rename].alias;
            debug_assert_eq!(alias.len(), t.span.len() as usize);
            out.replace_range(t.span.range(), alias);
        }
        out
    }

    /// The rename whose alias is `alias`.
    #[must_use]
    pub fn by_alias(&self, alias: &str) -> Option<&Rename> {
        self.names.iter().find(|r| r.alias == alias)
    }

    /// `text` (a clang type spelling or message) with aliases replaced by the renamed names.
    #[must_use]
    pub fn renamed_spelling(&self, text: &str) -> String {
        self.map_words(text, |r| &r.renamed)
    }

    /// `text` with aliases replaced by the user's names (for messages shown to the user).
    #[must_use]
    pub fn user_spelling(&self, text: &str) -> String {
        self.map_words(text, |r| &r.name)
    }

    fn map_words(&self, text: &str, to: impl Fn(&Rename) -> &String) -> String {
        if self.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            match self.by_alias(word) {
                Some(r) => out.push_str(to(r)),
                None => out.push_str(word),
            }
            word.clear();
        };
        for ch in text.chars() {
            if ch == '_' || ch.is_ascii_alphanumeric() {
                word.push(ch);
            } else {
                flush(&mut word, &mut out);
                out.push(ch);
            }
        }
        flush(&mut word, &mut out);
        out
    }
}

/// clang's messages for a declaration that clashes with an earlier one, and the namespace each
/// implies (`None`: a tag if the file defines a tag of that name, else ordinary).
const CLASH_MESSAGES: [(&str, Option<Namespace>); 8] = [
    ("redefinition of enumerator '", Some(Namespace::Ordinary)),
    ("conflicting types for '", Some(Namespace::Ordinary)),
    ("non-static declaration of '", Some(Namespace::Ordinary)),
    ("static declaration of '", Some(Namespace::Ordinary)),
    ("nested redefinition of '", Some(Namespace::Tag)),
    ("use of '", Some(Namespace::Tag)),
    ("redefinition of '", None),
    (
        "typedef redefinition with different types",
        Some(Namespace::Ordinary),
    ),
];

/// The names clang reported as redefinitions in the user's file, with their namespaces.
#[must_use]
pub fn clashes(diags: &[clang::Diagnostic], tokens: &[Token]) -> Vec<(String, Namespace)> {
    let mut out: Vec<(String, Namespace)> = Vec::new();
    for d in diags {
        if d.severity < Severity::Error || !d.location.in_main_file {
            continue;
        }
        let Some((name, ns)) = clash(d, tokens) else {
            continue;
        };
        if !out.iter().any(|(n, s)| *n == name && *s == ns) {
            out.push((name, ns));
        }
    }
    out
}

fn clash(d: &clang::Diagnostic, tokens: &[Token]) -> Option<(String, Namespace)> {
    let (prefix, ns) = CLASH_MESSAGES
        .iter()
        .find(|(p, _)| d.message.starts_with(p))?;
    let name = if prefix.ends_with('\'') {
        let rest = &d.message[prefix.len()..];
        rest[..rest.find('\'')?].to_owned()
    } else {
        // The typedef message names types, not the typedef: take the token clang points at.
        let at = tokens.partition_point(|t| t.start < d.location.offset);
        let t = tokens.get(at).filter(|t| t.start == d.location.offset)?;
        t.spelling.clone()
    };
    if d.message.starts_with("use of '") && !d.message.contains("tag type that does not match") {
        return None;
    }
    let code = code_tokens(tokens);
    let ns = ns.unwrap_or_else(|| {
        let defines_tag = (0..code.len())
            .any(|i| code[i].spelling == name && tag_before(&code, i) && defines_at(&code, i));
        if defines_tag {
            Namespace::Tag
        } else {
            Namespace::Ordinary
        }
    });
    is_identifier(&name).then_some((name, ns))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Plans the renames of `clashes`: aliases, renamed spellings and tokens. `kernel_members`
/// gives the members of the kernel's struct or union of a name, if there is one.
#[must_use]
pub fn plan(
    clashes: &[(String, Namespace)],
    tokens: &[Token],
    kernel_members: impl Fn(&str) -> Option<Vec<String>>,
) -> Renames {
    let code = code_tokens(tokens);
    let mut taken: HashSet<String> = code
        .iter()
        .filter(|t| t.kind == TokenKind::Identifier)
        .map(|t| t.spelling.clone())
        .collect();
    let mut out = Renames::default();
    for (name, ns) in clashes {
        let Some(alias) = alias_for(name, &taken) else {
            continue;
        };
        taken.insert(alias.clone());
        let index = out.names.len();
        let found = occurrences(&code, name, *ns);
        out.tokens
            .extend(found.into_iter().map(|(span, defines)| RenamedToken {
                span,
                rename: index,
                defines,
            }));
        out.names.push(Rename {
            name: name.clone(),
            alias,
            renamed: format!("{name}{SUFFIX}"),
            namespace: *ns,
            kernel_members: (*ns == Namespace::Tag)
                .then(|| kernel_members(name))
                .flatten(),
        });
    }
    out.tokens.sort_by_key(|t| t.span.start);
    out.tokens.dedup_by_key(|t| t.span.start);
    out
}

/// The tokens spelling tag `tag` (after `struct`, `union` or `enum`), with whether each starts a
/// definition (`struct T {`).
#[must_use]
pub fn tag_occurrences(tokens: &[Token], tag: &str) -> Vec<(Span, bool)> {
    occurrences(&code_tokens(tokens), tag, Namespace::Tag)
}

/// An identifier of exactly `name`'s length that the file does not use. Shapes: `_`, `_A`..`_Z`,
/// then `_Q` and base-36 digits: reserved for the implementation, so no kernel or user name.
fn alias_for(name: &str, taken: &HashSet<String>) -> Option<String> {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let n = name.len();
    let candidates: Box<dyn Iterator<Item = String>> = match n {
        0 => return None,
        1 => Box::new(std::iter::once("_".to_owned())),
        2 => Box::new((b'A'..=b'Z').map(|c| format!("_{}", c as char))),
        _ => Box::new((0u64..).map_while(move |mut i| {
            let mut s = vec![b'0'; n - 2];
            for slot in s.iter_mut().rev() {
                *slot = DIGITS[(i % 36) as usize];
                i /= 36;
            }
            (i == 0).then(|| format!("_Q{}", String::from_utf8_lossy(&s)))
        })),
    };
    candidates.into_iter().find(|c| !taken.contains(c))
}

/// The tokens that are not comments.
fn code_tokens(tokens: &[Token]) -> Vec<&Token> {
    tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect()
}

/// Index of the token before `i`, skipping `__attribute__((...))` groups.
fn before_attributes(code: &[&Token], i: usize) -> Option<usize> {
    let mut k = i.checked_sub(1)?;
    while code[k].spelling == ")" {
        let mut depth = 0i32;
        loop {
            match code[k].spelling.as_str() {
                ")" => depth += 1,
                "(" => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
            k = k.checked_sub(1)?;
        }
        k = k.checked_sub(1)?;
        if !code[k].spelling.starts_with("__attribute") {
            return None;
        }
        k = k.checked_sub(1)?;
    }
    Some(k)
}

/// Index of the token after `i`, skipping `__attribute__((...))` groups.
fn after_attributes(code: &[&Token], i: usize) -> Option<usize> {
    let mut k = i + 1;
    while code.get(k)?.spelling.starts_with("__attribute") {
        let mut depth = 0i32;
        k += 1;
        loop {
            match code.get(k)?.spelling.as_str() {
                "(" => depth += 1,
                ")" => depth -= 1,
                _ => {}
            }
            k += 1;
            if depth == 0 {
                break;
            }
        }
    }
    Some(k)
}

/// Whether token `i` follows `struct`, `union` or `enum` (a tag).
fn tag_before(code: &[&Token], i: usize) -> bool {
    before_attributes(code, i)
        .is_some_and(|k| matches!(code[k].spelling.as_str(), "struct" | "union" | "enum"))
}

/// Whether the tag at `i` starts a definition (`struct T {`).
fn defines_at(code: &[&Token], i: usize) -> bool {
    after_attributes(code, i).is_some_and(|k| code.get(k).is_some_and(|t| t.spelling == "{"))
}

/// What a `{` opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brace {
    /// A struct or union body: member declarations.
    Record,
    /// Anything else (enum bodies hold ordinary enumerators).
    Other,
}

fn brace_at(code: &[&Token], open: usize) -> Brace {
    let Some(mut k) = before_attributes(code, open) else {
        return Brace::Other;
    };
    if code[k].kind == TokenKind::Identifier {
        match before_attributes(code, k) {
            Some(j) => k = j,
            None => return Brace::Other,
        }
    }
    if matches!(code[k].spelling.as_str(), "struct" | "union") {
        Brace::Record
    } else {
        Brace::Other
    }
}

/// Macros whose arguments from the given index on are member names, not expressions.
const MEMBER_ARGS: [(&str, usize); 4] = [
    ("offsetof", 1),
    ("__builtin_offsetof", 1),
    ("container_of", 2),
    ("BPF_CORE_READ", 1),
];

fn member_args_from(name: &str) -> Option<usize> {
    MEMBER_ARGS.iter().find_map(|(m, from)| {
        let hit = if *m == "BPF_CORE_READ" {
            name.starts_with("BPF_CORE_READ") || name.starts_with("BPF_PROBE_READ")
        } else {
            name == *m
        };
        hit.then_some(*from)
    })
}

/// The tokens spelling `name` in namespace `ns`, with whether each defines a tag.
fn occurrences(code: &[&Token], name: &str, ns: Namespace) -> Vec<(Span, bool)> {
    let mut out = Vec::new();
    let mut braces: Vec<Brace> = Vec::new();
    // Open member-argument macros: (paren depth inside the call, argument index, first member).
    let mut macros: Vec<(usize, usize, usize)> = Vec::new();
    let mut depth = 0usize;
    for (i, t) in code.iter().enumerate() {
        match t.spelling.as_str() {
            "{" => braces.push(brace_at(code, i)),
            "}" => {
                braces.pop();
            }
            "(" => depth += 1,
            ")" => {
                if macros.last().is_some_and(|m| m.0 == depth) {
                    macros.pop();
                }
                depth = depth.saturating_sub(1);
            }
            "," => {
                if let Some(m) = macros.last_mut().filter(|m| m.0 == depth) {
                    m.1 += 1;
                }
            }
            _ => {}
        }
        if t.kind != TokenKind::Identifier {
            continue;
        }
        if let Some(from) = member_args_from(&t.spelling)
            && code.get(i + 1).is_some_and(|n| n.spelling == "(")
        {
            macros.push((depth + 1, 0, from));
        }
        if t.spelling != name {
            continue;
        }
        let tag = tag_before(code, i);
        let keep = match ns {
            Namespace::Tag => tag,
            Namespace::Ordinary => {
                let member_access = i > 0 && matches!(code[i - 1].spelling.as_str(), "." | "->");
                let member_arg = macros.last().is_some_and(|m| m.1 >= m.2);
                !tag && !member_access && !member_arg && !member_declarator(code, i, &braces)
            }
        };
        if keep {
            let defines = ns == Namespace::Tag && defines_at(code, i);
            out.push((Span::new(t.start, t.end), defines));
        }
    }
    out
}

/// Whether identifier `i` declares a member: directly inside a struct or union body and
/// followed by what ends a declarator (`;`, `,`, `:`, `[`, `)`, an attribute).
fn member_declarator(code: &[&Token], i: usize, braces: &[Brace]) -> bool {
    braces.last() == Some(&Brace::Record)
        && code.get(i + 1).is_some_and(|n| {
            matches!(n.spelling.as_str(), ";" | "," | ":" | "[" | ")")
                || n.spelling.starts_with("__attribute")
        })
}

#[cfg(test)]
mod tests;
