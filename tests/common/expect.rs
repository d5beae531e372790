//! What a run printed (a [`Frame`] of the guest driver's output) and the `expect` directives
//! that judge it. One evaluator for the host and every VM kernel.

use std::collections::BTreeMap;

use super::kernel::Need;

/// How a value compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `=` (with `|` alternatives)
    Eq,
    /// `!=`
    Ne,
    /// `^=`
    Prefix,
    /// `~`
    Contains,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, text) = OPS
            .iter()
            .map(|(t, o)| (o, t))
            .find(|(o, _)| **o == *self)
            .expect("every op is in OPS");
        f.write_str(text)
    }
}

/// `COL op VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cond {
    pub(crate) col: String,
    pub(crate) op: Op,
    pub(crate) value: String,
}

/// How many matching rows an expectation wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// Exactly N.
    Exactly(usize),
    /// At least N.
    AtLeast(usize),
}

/// One `expect` directive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expect {
    /// The header line's words.
    Header(Vec<String>),
    /// Rows (of count table `table`, if given) matching every condition.
    Row {
        table: Option<String>,
        conds: Vec<Cond>,
        count: Count,
    },
    /// A JSON line with these field values.
    Json(Vec<(String, String)>),
    /// Histogram rows with non-zero counts.
    Hist(usize),
    /// stdout contains the text.
    Stdout(String),
    /// stderr contains the text.
    Stderr(String),
    /// stderr does not contain the text.
    NoStderr(String),
    /// The expectation, only where the need holds (or, `unless`, where it does not).
    When {
        need: Need,
        holds: bool,
        inner: Box<Expect>,
    },
}

const OPS: [(&str, Op); 8] = [
    ("!=", Op::Ne),
    ("^=", Op::Prefix),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("=", Op::Eq),
    ("~", Op::Contains),
    (">", Op::Gt),
    ("<", Op::Lt),
];

fn parse_cond(word: &str) -> Result<Cond, String> {
    let (at, len, op) = OPS
        .iter()
        .filter_map(|(s, op)| word.find(s).map(|i| (i, s.len(), *op)))
        .min_by_key(|(i, len, _)| (*i, std::cmp::Reverse(*len)))
        .ok_or_else(|| format!("`{word}` is not COL<op>VALUE"))?;
    if at == 0 {
        return Err(format!("`{word}` has no column"));
    }
    Ok(Cond {
        col: word[..at].to_owned(),
        op,
        value: word[at + len..].to_owned(),
    })
}

fn parse_rows(words: &[String], table: Option<String>) -> Result<Expect, String> {
    let mut conds = Vec::new();
    let mut count = Count::AtLeast(1);
    for w in words {
        if let Some(n) = w.strip_prefix("count>=") {
            count = Count::AtLeast(n.parse().map_err(|_| format!("bad count `{w}`"))?);
        } else if let Some(n) = w.strip_prefix("count=") {
            count = Count::Exactly(n.parse().map_err(|_| format!("bad count `{w}`"))?);
        } else {
            conds.push(parse_cond(w)?);
        }
    }
    Ok(Expect::Row {
        table,
        conds,
        count,
    })
}

/// Parses the text after `expect`.
pub(crate) fn parse_expect(text: &str) -> Result<Expect, String> {
    let (kind, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    let words = super::fixture::shell_words(rest)?;
    Ok(match kind {
        "header" => Expect::Header(words),
        "row" => parse_rows(&words, None)?,
        "table" => {
            let (name, conds) = words.split_first().ok_or("table needs a name")?;
            parse_rows(conds, Some(name.clone()))?
        }
        "json" => Expect::Json(
            words
                .iter()
                .map(|w| {
                    w.split_once('=')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .ok_or_else(|| format!("`{w}` is not FIELD=VALUE"))
                })
                .collect::<Result<_, _>>()?,
        ),
        "hist" => Expect::Hist(match rest.strip_prefix("count>=") {
            Some(n) => n.parse().map_err(|_| format!("bad count `{rest}`"))?,
            None if rest.is_empty() => 1,
            None => return Err(format!("hist takes count>=N, not `{rest}`")),
        }),
        "stdout" => Expect::Stdout(rest.to_owned()),
        "stderr" => Expect::Stderr(rest.to_owned()),
        "no-stderr" => Expect::NoStderr(rest.to_owned()),
        "when" | "unless" => {
            let (need, inner) = rest
                .split_once(char::is_whitespace)
                .ok_or("when/unless needs a need and an expectation")?;
            Expect::When {
                need: Need::parse(need)?,
                holds: kind == "when",
                inner: Box::new(parse_expect(inner.trim())?),
            }
        }
        _ => return Err(format!("unknown expectation `{kind}`")),
    })
}

/// What one run of a fixture produced, as the driver reported it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Frame {
    /// The tool's exit status (124: killed by the driver's watchdog).
    pub(crate) exit: i32,
    /// `run` or `refuse`.
    pub(crate) mode: String,
    /// Variables: the environment the driver set and what the workload recorded.
    pub(crate) vars: BTreeMap<String, String>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// The setup and workload's own output.
    pub(crate) log: String,
}

/// Marks the driver's framing lines; never the start of a tool's line.
const MARK: &str = "@@bccc ";

/// Splits the driver's output into frames by fixture name.
pub(crate) fn parse_frames(output: &str) -> BTreeMap<String, Frame> {
    let mut frames = BTreeMap::new();
    let mut current: Option<(String, Frame)> = None;
    let mut part = "";
    for line in output.lines() {
        if let Some(m) = line.strip_prefix(MARK) {
            let (key, rest) = m.split_once(' ').unwrap_or((m, ""));
            match (key, current.as_mut()) {
                ("begin", _) => current = Some((rest.to_owned(), Frame::default())),
                ("end", Some(_)) => {
                    let (name, frame) = current.take().expect("current frame");
                    frames.insert(name, frame);
                }
                ("exit", Some((_, f))) => f.exit = rest.trim().parse().unwrap_or(-1),
                ("mode", Some((_, f))) => rest.trim().clone_into(&mut f.mode),
                ("var", Some((_, f))) => {
                    if let Some((k, v)) = rest.split_once('=') {
                        f.vars.insert(k.to_owned(), v.to_owned());
                    }
                }
                ("stdout" | "stderr" | "log", Some(_)) => part = key,
                _ => {}
            }
        } else if let (Some((_, f)), Some(text)) = (current.as_mut(), line.strip_prefix('|')) {
            let to = match part {
                "stdout" => &mut f.stdout,
                "stderr" => &mut f.stderr,
                _ => &mut f.log,
            };
            to.push_str(text);
            to.push('\n');
        }
    }
    frames
}

impl Frame {
    /// `${NAME}` and `$NAME` replaced by the frame's variables.
    pub(crate) fn expand(&self, text: &str) -> String {
        let mut out = text.to_owned();
        // Longest names first, so $DISK does not eat $DISK_MAJOR.
        let mut vars: Vec<_> = self.vars.iter().collect();
        vars.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        for (k, v) in vars {
            out = out
                .replace(&format!("${{{k}}}"), v)
                .replace(&format!("${k}"), v);
        }
        out
    }

    fn rows<'a>(&'a self, table: Option<&str>) -> (Vec<&'a str>, Vec<&'a str>) {
        // A table is the lines under its `NAME:` title; untitled output starts at the top (a tool
        // with one table prints no title, so a named table without one is the untitled output).
        // Either ends at the first blank line.
        let is_title = |l: &str| l.ends_with(':') && !l.contains(char::is_whitespace);
        let start = match table {
            Some(t) => {
                let title = format!("{t}:");
                match self.stdout.lines().position(|l| l.trim() == title) {
                    Some(i) => i + 1,
                    None if !self.stdout.lines().any(is_title) => 0,
                    None => return (Vec::new(), Vec::new()),
                }
            }
            None => 0,
        };
        let mut lines = self
            .stdout
            .lines()
            .skip(start)
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty());
        let header = lines
            .next()
            .map(|h| h.split_whitespace().collect())
            .unwrap_or_default();
        (header, lines.collect())
    }
}

fn num(s: &str) -> Option<f64> {
    s.parse().ok()
}

fn holds(cond: &Cond, value: Option<&str>, want: &str) -> bool {
    let Some(v) = value else { return false };
    match cond.op {
        Op::Eq => want.split('|').any(|w| w == v),
        Op::Ne => v != want,
        Op::Prefix => want.split('|').any(|w| v.starts_with(w)),
        Op::Contains => v.contains(want),
        op => match (num(v), num(want)) {
            (Some(a), Some(b)) => match op {
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                _ => a <= b,
            },
            _ => false,
        },
    }
}

fn row_matches(frame: &Frame, header: &[&str], line: &str, conds: &[Cond]) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    conds.iter().all(|c| {
        let want = frame.expand(&c.value);
        let value = match c.col.as_str() {
            "line" => Some(line.to_owned()),
            "fields" => Some(words.len().to_string()),
            col => header
                .iter()
                .position(|h| *h == col)
                .and_then(|i| words.get(i))
                .map(|w| (*w).to_owned()),
        };
        holds(c, value.as_deref(), &want)
    })
}

fn json_matches(frame: &Frame, line: &str, fields: &[(String, String)]) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
        return false;
    };
    fields.iter().all(|(k, want)| {
        let want = frame.expand(want);
        match &v[k] {
            serde_json::Value::String(s) => *s == want,
            serde_json::Value::Null => false,
            // Numbers and booleans compare by their JSON text.
            other => other.to_string().as_str() == want.as_str(),
        }
    })
}

/// Whether `e` holds for `frame`; `has` answers needs for `when`/`unless` on the kernel that ran.
pub(crate) fn check(e: &Expect, frame: &Frame, has: &dyn Fn(&Need) -> bool) -> Result<(), String> {
    match e {
        Expect::Header(cols) => {
            let (header, _) = frame.rows(None);
            (header == cols.iter().map(String::as_str).collect::<Vec<_>>())
                .then_some(())
                .ok_or_else(|| format!("header is {header:?}, expected {cols:?}"))
        }
        Expect::Row {
            table,
            conds,
            count,
        } => {
            let (header, rows) = frame.rows(table.as_deref());
            let n = rows
                .iter()
                .filter(|l| row_matches(frame, &header, l, conds))
                .count();
            let ok = match count {
                Count::Exactly(c) => n == *c,
                Count::AtLeast(c) => n >= *c,
            };
            ok.then_some(()).ok_or_else(|| {
                let conds: Vec<String> = conds
                    .iter()
                    .map(|c| format!("{}{}{}", c.col, c.op, frame.expand(&c.value)))
                    .collect();
                format!(
                    "{n} row(s){} match {conds:?}, expected {count:?}",
                    table
                        .as_ref()
                        .map_or(String::new(), |t| format!(" of table {t}"))
                )
            })
        }
        Expect::Json(fields) => frame
            .stdout
            .lines()
            .any(|l| json_matches(frame, l, fields))
            .then_some(())
            .ok_or_else(|| format!("no JSON line with {fields:?}")),
        Expect::Hist(min) => {
            let n = frame
                .stdout
                .lines()
                .filter(|l| l.contains(" -> ") && l.ends_with('|'))
                .filter(|l| {
                    l.split(':')
                        .nth(1)
                        .and_then(|c| c.split_whitespace().next())
                        .and_then(|c| c.parse::<u64>().ok())
                        .is_some_and(|c| c > 0)
                })
                .count();
            (n >= *min)
                .then_some(())
                .ok_or_else(|| format!("{n} histogram row(s) with counts, expected {min}+"))
        }
        Expect::Stdout(t) => contains(&frame.stdout, &frame.expand(t), "stdout"),
        Expect::Stderr(t) => contains(&frame.stderr, &frame.expand(t), "stderr"),
        Expect::NoStderr(t) => {
            let t = frame.expand(t);
            (!frame.stderr.contains(&t))
                .then_some(())
                .ok_or_else(|| format!("stderr contains `{t}`"))
        }
        Expect::When { need, holds, inner } => {
            if has(need) == *holds {
                check(inner, frame, has)
            } else {
                Ok(())
            }
        }
    }
}

fn contains(text: &str, want: &str, what: &str) -> Result<(), String> {
    text.contains(want)
        .then_some(())
        .ok_or_else(|| format!("{what} lacks `{want}`"))
}

/// Whether any expectation (in force here) mentions `text` in stderr.
fn expects_stderr(expects: &[Expect], has: &dyn Fn(&Need) -> bool, text: &str) -> bool {
    expects.iter().any(|e| match e {
        Expect::Stderr(t) => t.contains(text),
        Expect::When { need, holds, inner } => {
            has(need) == *holds && expects_stderr(std::slice::from_ref(inner), has, text)
        }
        _ => false,
    })
}

/// Judges a frame: a `run` frame must exit 0, print no unexpected `warning:` and meet every
/// expectation; a `refuse` frame (the kernel lacks a need) must exit non-zero with a message,
/// without a panic or a hang. Returns every failure.
pub(crate) fn judge(frame: &Frame, expects: &[Expect], has: &dyn Fn(&Need) -> bool) -> Vec<String> {
    let mut why = Vec::new();
    if frame.stderr.contains("panicked") {
        why.push("the tool panicked".to_owned());
    }
    if frame.mode == "refuse" {
        match frame.exit {
            0 => why.push("ran although the kernel lacks what it needs".into()),
            124 => why.push("hung".into()),
            _ if frame.stderr.trim().is_empty() => {
                why.push(format!("exited with {} without a message", frame.exit));
            }
            _ => {}
        }
        return why;
    }
    if frame.exit != 0 {
        why.push(format!("exited with {}", frame.exit));
    }
    if frame.stderr.contains("warning:") && !expects_stderr(expects, has, "warning:") {
        why.push("printed a warning".into());
    }
    why.extend(expects.iter().filter_map(|e| check(e, frame, has).err()));
    why
}
