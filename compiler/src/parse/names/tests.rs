use std::path::Path;

use bccc_ffi::clang::{Index, ParseOptions, TranslationUnit, UnsavedFile};

use super::*;

/// The file's tokens, from libclang's lexer (as the parse stage gets them).
fn lex(text: &str) -> Vec<Token> {
    let index = Index::new(true).expect("libclang");
    let path = Path::new("/tmp/bccc-names-test.c");
    let unsaved = [UnsavedFile {
        path: path.to_owned(),
        contents: text.to_owned(),
    }];
    let opts = ParseOptions {
        detailed_preprocessing: false,
        single_file: true,
    };
    let args = ["-x".to_owned(), "c".to_owned(), "-nostdinc".to_owned()];
    let tu = TranslationUnit::parse(&index, path, &args, &unsaved, opts).expect("parse");
    tu.tokenize_main(0, text.len() as u32).to_vec()
}

/// The renamed text the rewrite would produce, spelled with `renamed` names.
fn renamed(text: &str, clashes: &[(&str, Namespace)]) -> String {
    let tokens = lex(text);
    let clashes: Vec<(String, Namespace)> =
        clashes.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect();
    let plan = plan(&clashes, &tokens, |_| None);
    let mut out = text.to_owned();
    for t in plan.tokens.iter().rev() {
        out.replace_range(t.span.range(), &plan.names[t.rename].renamed);
    }
    out
}

#[test]
fn tags_rename_after_struct_union_enum_only() {
    let text = "struct sock { int sock; };\n\
                int f(struct sock *sock) { return sock->sock + sizeof(struct sock); }\n\
                struct __attribute__((packed)) sock *g;";
    assert_eq!(
        renamed(text, &[("sock", Namespace::Tag)]),
        "struct sock__bccc { int sock; };\n\
         int f(struct sock__bccc *sock) { return sock->sock + sizeof(struct sock__bccc); }\n\
         struct __attribute__((packed)) sock__bccc *g;"
    );
}

#[test]
fn ordinary_names_keep_member_names() {
    let text = "typedef int config;\n\
                struct s { config *config; int x[4]; config y : 3; };\n\
                BPF_HASH(config, u32, struct s);\n\
                int f(struct s *p) { struct config *c = 0; p->config = 0; \
                  struct s v = { .config = 0 }; \
                  return config.lookup(&p->y) + offsetof(struct s, config) \
                    + BPF_CORE_READ(p, config) + container_of(p, struct s, config); }";
    let want = text
        .replacen("typedef int config;", "typedef int config__bccc;", 1)
        .replacen("{ config *config;", "{ config__bccc *config;", 1)
        .replacen("config y : 3", "config__bccc y : 3", 1)
        .replacen("BPF_HASH(config,", "BPF_HASH(config__bccc,", 1)
        .replacen("return config.lookup", "return config__bccc.lookup", 1);
    assert_eq!(renamed(text, &[("config", Namespace::Ordinary)]), want);
}

#[test]
fn enumerators_rename_and_definitions_are_marked() {
    let text = "enum pattern { UNKNOWN, SEQ };\nint x = UNKNOWN;\nstruct mount { int a; };";
    let tokens = lex(text);
    let plan = plan(
        &[
            ("UNKNOWN".into(), Namespace::Ordinary),
            ("mount".into(), Namespace::Tag),
        ],
        &tokens,
        |t| (t == "mount").then(|| vec!["a".to_owned()]),
    );
    assert_eq!(plan.tokens.len(), 3);
    let defines: Vec<bool> = plan.tokens.iter().map(|t| t.defines).collect();
    assert_eq!(defines, [false, false, true]);
    assert_eq!(
        plan.names[1].kernel_members.as_deref(),
        Some(&["a".to_owned()][..])
    );
    assert!(
        plan.names[0].kernel_members.is_none(),
        "ordinary names have none"
    );
}

#[test]
fn aliases_keep_offsets_and_map_back() {
    let text = "struct sock { int a; }; BPF_HASH(config); int x = config.a;";
    let tokens = lex(text);
    let plan = plan(
        &[
            ("sock".into(), Namespace::Tag),
            ("config".into(), Namespace::Ordinary),
        ],
        &tokens,
        |_| None,
    );
    let aliased = plan.aliased_text(text);
    assert_eq!(aliased.len(), text.len());
    let sock = &plan.names[0];
    assert_eq!(sock.alias.len(), 4);
    assert!(aliased.contains(&format!("struct {} {{", sock.alias)));
    let msg = format!(
        "incompatible types 'struct {} *' and '{}'",
        sock.alias, plan.names[1].alias
    );
    assert_eq!(
        plan.user_spelling(&msg),
        "incompatible types 'struct sock *' and 'config'"
    );
    assert_eq!(
        plan.renamed_spelling(&format!("struct {}", sock.alias)),
        "struct sock__bccc"
    );
}

#[test]
fn aliases_of_every_length_avoid_the_files_names() {
    let taken: HashSet<String> = ["_A", "_Q0"].iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(alias_for("x", &taken).as_deref(), Some("_"));
    assert_eq!(alias_for("rq", &taken).as_deref(), Some("_B"));
    assert_eq!(alias_for("key", &taken).as_deref(), Some("_Q1"));
    assert_eq!(alias_for("config", &taken).as_deref(), Some("_Q0000"));
    assert!(alias_for("", &taken).is_none());
}

#[test]
fn clang_messages_name_the_clash_and_its_namespace() {
    let text = "struct key { int a; };\nint config;\ntypedef union { int a; } fl_t;";
    let tokens = lex(text);
    let at = |needle: &str| text.find(needle).unwrap() as u32;
    let diag = |message: &str, offset: u32| clang::Diagnostic {
        severity: Severity::Error,
        message: message.to_owned(),
        location: clang::FileLocation {
            file: None,
            line: 1,
            column: 1,
            offset,
            in_main_file: true,
        },
        ranges: Vec::new(),
    };
    let found = clashes(
        &[
            diag("redefinition of 'key'", at("key")),
            diag(
                "redefinition of 'config' as different kind of symbol",
                at("config"),
            ),
            diag(
                "typedef redefinition with different types ('union fl_t' vs 'fl_t')",
                at("fl_t"),
            ),
            diag("use of undeclared identifier 'zz'", 0),
        ],
        &tokens,
    );
    assert_eq!(
        found,
        [
            ("key".to_owned(), Namespace::Tag),
            ("config".to_owned(), Namespace::Ordinary),
            ("fl_t".to_owned(), Namespace::Ordinary),
        ]
    );
}
