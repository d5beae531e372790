//! Fixtures: the testdata programs and what their `// test:` directives say (the contract is
//! `testdata/README.md`). Directives are whole comment lines of our own test files, read line by
//! line; no C is parsed here.

use std::path::{Path, PathBuf};

use super::expect::{Expect, parse_expect};
use super::kernel::Need;

/// Which directory a fixture comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// `testdata/*.c`: tools.
    Tool,
    /// `testdata/dialect/*.c`: the conformance suite.
    Dialect,
    /// `testdata/bad/*.c`: input bccc must refuse.
    Bad,
}

impl Group {
    /// The prefix of its tests' names.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Group::Tool => "tools",
            Group::Dialect => "dialect",
            Group::Bad => "bad",
        }
    }

    fn dir(self) -> &'static str {
        match self {
            Group::Tool => "",
            Group::Dialect => "dialect",
            Group::Bad => "bad",
        }
    }
}

/// `// test: spec SECTION CONSTRUCT...`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpecRef {
    /// `A.2`, `B.2`, ...
    pub(crate) section: String,
    /// The construct, in words.
    pub(crate) construct: String,
}

/// How a fixture runs (`run`, `setup`, `workload`, `stop`, `expect`).
#[derive(Debug, Clone, Default)]
pub(crate) struct RunSpec {
    /// Whether a `run` directive is present (it may have no arguments).
    pub(crate) declared: bool,
    /// The tool's arguments, as shell words (`${var}` expanded by the driver).
    pub(crate) args: String,
    /// Shell lines before the tool starts.
    pub(crate) setup: String,
    /// Shell lines once the tool is ready.
    pub(crate) workload: String,
    /// `INT` or `TERM`: stop the tool with it after the workload.
    pub(crate) stop: Option<String>,
    /// What the output must show.
    pub(crate) expects: Vec<Expect>,
}

/// One testdata program and its directives.
#[derive(Debug, Clone)]
pub(crate) struct Fixture {
    /// The file.
    pub(crate) path: PathBuf,
    /// Its stem.
    pub(crate) name: String,
    /// Where it lives.
    pub(crate) group: Group,
    /// What it covers.
    pub(crate) specs: Vec<SpecRef>,
    /// Extra `bccc build` words (unexpanded).
    pub(crate) build: Vec<String>,
    /// The diagnostic code the build must fail with.
    pub(crate) error: Option<String>,
    /// Why it fails today, if it is a known gap.
    pub(crate) xfail: Option<String>,
    /// What the kernel must have to run it.
    pub(crate) needs: Vec<Need>,
    /// How it runs, if it does.
    pub(crate) run: Option<RunSpec>,
}

impl Fixture {
    /// Reads `path`'s directives; panics with the file and line on a malformed one.
    pub(crate) fn read(path: &Path, group: Group) -> Fixture {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let mut f = Fixture {
            path: path.to_owned(),
            name,
            group,
            specs: Vec::new(),
            build: Vec::new(),
            error: None,
            xfail: None,
            needs: Vec::new(),
            run: None,
        };
        for (i, line) in text.lines().enumerate() {
            let Some(rest) = line.trim().strip_prefix("// test:") else {
                continue;
            };
            if let Err(e) = f.directive(rest.trim()) {
                panic!("{}:{}: {e}: `{}`", path.display(), i + 1, line.trim());
            }
        }
        f
    }

    fn run_mut(&mut self) -> &mut RunSpec {
        self.run.get_or_insert_with(RunSpec::default)
    }

    fn directive(&mut self, text: &str) -> Result<(), String> {
        let (key, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        match key {
            "spec" => {
                let (section, construct) = rest
                    .split_once(char::is_whitespace)
                    .ok_or("spec needs a section and a construct")?;
                self.specs.push(SpecRef {
                    section: section.to_owned(),
                    construct: construct.trim().to_owned(),
                });
            }
            "build" => self.build.extend(shell_words(rest)?),
            "error" if !rest.is_empty() => self.error = Some(rest.to_owned()),
            "xfail" if !rest.is_empty() => self.xfail = Some(rest.to_owned()),
            "needs" => {
                for word in rest.split_whitespace() {
                    self.needs.push(Need::parse(word)?);
                }
            }
            "run" => {
                let run = self.run_mut();
                run.declared = true;
                rest.clone_into(&mut run.args);
            }
            "setup" => push_line(&mut self.run_mut().setup, rest),
            "workload" => push_line(&mut self.run_mut().workload, rest),
            "stop" if matches!(rest, "INT" | "TERM") => self.run_mut().stop = Some(rest.to_owned()),
            "expect" => {
                let e = parse_expect(rest)?;
                self.run_mut().expects.push(e);
            }
            _ => return Err(format!("unknown or incomplete directive `{key}`")),
        }
        Ok(())
    }

    /// Whether the fixture runs (live and VM tests).
    pub(crate) fn runs(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.declared)
    }

    /// The build words with `${TARGET}` expanded to `target`.
    pub(crate) fn build_args(&self, target: &Path) -> Vec<String> {
        let t = target.display().to_string();
        self.build
            .iter()
            .map(|w| w.replace("${TARGET}", &t).replace("$TARGET", &t))
            .collect()
    }

    /// Whether the build arguments depend on where the tool runs.
    pub(crate) fn build_depends_on_target(&self) -> bool {
        self.build.iter().any(|w| w.contains("TARGET"))
    }
}

fn push_line(to: &mut String, line: &str) {
    if !to.is_empty() {
        to.push('\n');
    }
    to.push_str(line);
}

/// Splits shell words: whitespace-separated, with '...' and "..." quoting (no escapes needed by
/// our fixtures beyond that).
pub(crate) fn shell_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// The fixtures of a group, sorted by name.
pub(crate) fn fixtures(group: Group) -> Vec<Fixture> {
    let dir = super::repo().join("testdata").join(group.dir());
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Fixture::read(p, group)).collect()
}
