//! The conformance suite: every program in `testdata/dialect/` (one or a few constructs of
//! the BCC dialect each, written by us) is built, snapshotted (the rewritten C, or for `error`
//! programs the diagnostics) and loaded into this kernel (the verifier judges), one test each. The
//! `score` test renders the score per spec section and compares it with the committed
//! `testdata/dialect/SCORE.md`; `BCCC_UPDATE_SCORE=1` rewrites that file instead (`./x.sh score`).
//!
//! A program with `// test: xfail WHY` is a known gap: its test passes while it fails, and fails
//! once it passes (then the directive goes).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use common::fixture::{Fixture, Group, fixtures};
use libtest_mimic::{Arguments, Failed, Trial};

/// The spec's section titles (`shared/spec/bcc-dialect.md`).
const SECTIONS: &[(&str, &str)] = &[
    ("A.1", "Map declarations"),
    ("A.2", "Map methods"),
    ("A.3", "Program declarations and auto-attach"),
    ("A.4", "Helper sugar, builtins and macros"),
    ("A.5", "Implicit kernel-memory dereference"),
    ("A.6", "Includes, defines and compile environment"),
    ("A.7", "Tracepoint arguments"),
    ("A.8", "USDT"),
    ("A.9", "Miscellaneous"),
    ("B.1", "Parameter rewriting"),
    ("B.2", "Which values are external pointers"),
    ("B.3", "What gets rewritten"),
    ("B.4", "Where BCC does not rewrite"),
    ("B.5", "CO-RE translation"),
    ("C.1", "Tracepoint structs as BCC generates them"),
    ("C.2", "Tracepoint records in CO-RE"),
    ("C.3", "Tracepoints on the target kernel"),
    ("E.1", "Semantics hidden in the rewrites"),
    ("E.2", "Shadow declarations of kernel structs"),
    ("E.3", "Kernel-version adaptation"),
    ("E.4", "Programs generated from user input"),
    ("E.5", "Special map types and APIs"),
    ("E.6", "Networking sugar"),
    ("E.7", "Other traps"),
];

/// What building and loading one program gave.
struct Outcome {
    /// The rewritten C, or for `error` programs the rendered diagnostics (for the snapshot).
    text: Option<String>,
    /// Whether it conforms, and if not why.
    result: Result<(), String>,
}

fn evaluate(f: &Fixture) -> Outcome {
    common::kernel_fs();
    let dir = common::scratch(&format!("conformance-{}", f.name));
    if let Some(code) = &f.error {
        return match common::verify::expect_error(f, &dir, code) {
            Ok(stderr) => Outcome {
                text: Some(stderr),
                result: Ok(()),
            },
            Err(why) => Outcome {
                text: None,
                result: Err(why),
            },
        };
    }
    let text = common::verify::try_build(f, &["--emit", "c", "-o", "-"])
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    let result = match &text {
        Ok(_) => common::verify::build_and_load(f, &dir),
        Err(stderr) => Err(format!("bccc build failed:\n{stderr}")),
    };
    Outcome {
        text: text.ok(),
        result,
    }
}

/// Outcomes, each computed once by whichever test needs it first.
struct Suite {
    fixtures: Vec<Fixture>,
    outcomes: Vec<OnceLock<Outcome>>,
}

impl Suite {
    fn outcome(&self, i: usize) -> &Outcome {
        self.outcomes[i].get_or_init(|| evaluate(&self.fixtures[i]))
    }
}

fn main() {
    let args = Arguments::from_args();
    let fixtures = fixtures(Group::Dialect);
    let suite = Arc::new(Suite {
        outcomes: fixtures.iter().map(|_| OnceLock::new()).collect(),
        fixtures,
    });
    let mut trials = Vec::new();
    for i in 0..suite.fixtures.len() {
        let s = Arc::clone(&suite);
        let name = format!("dialect::{}", s.fixtures[i].name);
        trials.push(Trial::test(name, move || {
            check(&s.fixtures[i], s.outcome(i))
        }));
    }
    let s = Arc::clone(&suite);
    trials.push(Trial::test("score", move || score(&s)));
    libtest_mimic::run(&args, trials).exit();
}

fn check(f: &Fixture, o: &Outcome) -> Result<(), Failed> {
    if f.specs.is_empty() {
        return Err("no `// test: spec SECTION CONSTRUCT` directive".into());
    }
    if let Some(s) = f.specs.iter().find(|s| section_title(&s.section).is_none()) {
        return Err(format!("unknown spec section `{}`", s.section).into());
    }
    match (&o.result, &f.xfail) {
        (Ok(()), Some(why)) => {
            return Err(format!("passes now: remove `// test: xfail {why}`").into());
        }
        (Err(_), Some(_)) => return Ok(()),
        (Err(why), None) => return Err(why.clone().into()),
        (Ok(()), None) => {}
    }
    let text = o.text.as_deref().unwrap_or_default();
    let kind = if f.error.is_some() {
        "diagnostic"
    } else {
        "rewritten"
    };
    insta::assert_snapshot!(format!("{kind}__dialect__{}", f.name), text);
    Ok(())
}

fn section_title(section: &str) -> Option<&'static str> {
    SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, t)| *t)
}

/// One program under one section: its name, the construct, why it fails (if it does).
type Row<'a> = (&'a str, &'a str, Option<String>);

/// SCORE.md's text for these outcomes.
fn render(suite: &Suite) -> String {
    let mut by_section: BTreeMap<&str, Vec<Row<'_>>> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, f) in suite.fixtures.iter().enumerate() {
        let failure = match (&suite.outcome(i).result, &f.xfail) {
            (Ok(()), None) => None,
            (_, Some(why)) => Some(format!("known gap: {why}")),
            (Err(why), None) => Some(why.lines().next().unwrap_or_default().to_owned()),
        };
        if let Some(why) = &failure {
            failures.push(format!("- `{}.c`: {why}", f.name));
        }
        for s in &f.specs {
            by_section.entry(&s.section).or_default().push((
                &f.name,
                &s.construct,
                failure.clone(),
            ));
        }
    }
    let passed = suite
        .fixtures
        .iter()
        .enumerate()
        .filter(|(i, f)| f.xfail.is_none() && suite.outcome(*i).result.is_ok())
        .count();
    let mut out = String::from(
        "# Conformance score\n\n\
         Generated by `./x.sh score` (`BCCC_UPDATE_SCORE=1 cargo test -p bccc --test conformance \
         score`); `cargo test` fails when this file is stale. Each program in `testdata/dialect/` \
         is built by bccc and loaded into the test kernel (the verifier judges), or for `error` \
         programs must fail with the stated diagnostic. Sections are those of the BCC dialect \
         spec.\n\n",
    );
    let _ = writeln!(out, "**Total: passed {passed}/{}**\n", suite.fixtures.len());
    out.push_str("| section | passed |\n|---|---|\n");
    for (section, rows) in &by_section {
        let ok = rows.iter().filter(|r| r.2.is_none()).count();
        let title = section_title(section).unwrap_or("?");
        let _ = writeln!(out, "| {section} {title} | {ok}/{} |", rows.len());
    }
    out.push_str("\n## Failures\n\n");
    if failures.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str(&failures.join("\n"));
        out.push('\n');
    }
    out.push_str("\n## Programs by section\n");
    for (section, rows) in &by_section {
        let _ = write!(
            out,
            "\n### {section} {}\n\n",
            section_title(section).unwrap_or("?")
        );
        for (name, construct, failure) in rows {
            let mark = if failure.is_some() { "✗" } else { "✓" };
            let _ = writeln!(out, "- {mark} `{name}.c`: {construct}");
        }
    }
    out
}

fn score(suite: &Suite) -> Result<(), Failed> {
    let text = render(suite);
    let path = common::repo().join("testdata/dialect/SCORE.md");
    if std::env::var_os("BCCC_UPDATE_SCORE").is_some() {
        std::fs::write(&path, &text)?;
        return Ok(());
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == text {
        Ok(())
    } else {
        Err(format!(
            "testdata/dialect/SCORE.md is stale: run `./x.sh score` and commit it. The score now:\n{text}"
        )
        .into())
    }
}
