//! Parses small C strings through the wrappers.

use std::path::PathBuf;

use super::*;

fn parse<'i>(index: &'i Index, text: &str) -> TranslationUnit<'i> {
    let path = PathBuf::from("/tmp/bccc-ffi-test.c");
    let unsaved = [UnsavedFile {
        path: path.clone(),
        contents: text.to_owned(),
    }];
    let opts = ParseOptions {
        detailed_preprocessing: true,
        single_file: false,
    };
    TranslationUnit::parse(
        index,
        &path,
        &["-target".into(), "bpf".into()],
        &unsaved,
        opts,
    )
    .expect("parse")
}

#[test]
fn walks_calls_members_and_types() {
    let index = Index::new(false).unwrap();
    let tu = parse(
        &index,
        "struct s { int a; struct s *next; };\n#define M(x) x\nstatic const int N = 3 * 4;\nint f(struct s *p) { return p->next->a + M(p->a); }\n",
    );
    assert!(tu.diagnostics().is_empty(), "{:?}", tu.diagnostics());
    let mut members = Vec::new();
    let mut macro_members = Vec::new();
    let mut n_value = None;
    tu.cursor().visit(|c, _| {
        if !c.location().in_main_file {
            return ChildVisit::Continue;
        }
        match c.kind() {
            CursorKind::MemberRefExpr => {
                let (a, b) = c.main_file_range().unwrap();
                if c.is_from_macro() {
                    macro_members.push(c.spelling());
                } else {
                    members.push((c.spelling(), a, b, c.ty().spelling()));
                }
            }
            CursorKind::VarDecl if c.spelling() == "N" => n_value = c.evaluate(),
            _ => {}
        }
        ChildVisit::Recurse
    });
    assert_eq!(n_value, Some(EvalResult::Int(12)));
    let text = "struct s { int a; struct s *next; };\n#define M(x) x\nstatic const int N = 3 * 4;\nint f(struct s *p) { return ";
    let start = text.len() as u32;
    assert_eq!(members[0], ("a".into(), start, start + 10, "int".into()));
    assert_eq!(
        members[1],
        ("next".into(), start, start + 7, "struct s *".into())
    );
    assert_eq!(macro_members, vec!["a".to_string()]);
}

#[test]
fn struct_fields_arguments_and_diagnostics() {
    let index = Index::new(false).unwrap();
    let tu = parse(
        &index,
        "struct k { char c[16]; long v; };\nint g(int a, long b);\nint h(void) { int r = g(1, 2); return r + undefined_thing; }\n",
    );
    let diags = tu.diagnostics();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].severity, Severity::Error);
    assert!(
        diags[0].message.contains("undefined_thing"),
        "{}",
        diags[0].message
    );
    assert_eq!(diags[0].location.line, 3);
    let mut fields = Vec::new();
    let mut args = Vec::new();
    tu.cursor().visit(|c, _| {
        if c.kind() == CursorKind::StructDecl && c.spelling() == "k" {
            for f in c.ty().fields() {
                fields.push((f.spelling(), f.ty().size(), f.ty().array_size()));
            }
        }
        if c.kind() == CursorKind::CallExpr && c.spelling() == "g" {
            args = c
                .arguments()
                .iter()
                .map(|a| a.main_file_range().unwrap())
                .collect();
        }
        ChildVisit::Recurse
    });
    assert_eq!(
        fields,
        vec![
            ("c".into(), Some(16), Some(16)),
            ("v".into(), Some(8), None)
        ]
    );
    assert_eq!(args.len(), 2);
}

#[test]
fn tokens_include_comments_and_directives() {
    let index = Index::new(false).unwrap();
    let path = PathBuf::from("/tmp/bccc-ffi-tok.c");
    let text = "// about\n#include <linux/sched.h>\nint x;\n";
    let unsaved = [UnsavedFile {
        path: path.clone(),
        contents: text.into(),
    }];
    let opts = ParseOptions {
        detailed_preprocessing: false,
        single_file: true,
    };
    let tu = TranslationUnit::parse(&index, &path, &[], &unsaved, opts).unwrap();
    let toks = tu.tokenize_main(0, text.len() as u32).to_vec();
    let spell: Vec<_> = toks.iter().map(|t| t.spelling.as_str()).collect();
    assert_eq!(spell[..4], ["// about", "#", "include", "<"]);
    assert_eq!(toks[0].kind, TokenKind::Comment);
    assert_eq!((toks[1].start, toks[1].line), (9, 2));
}
