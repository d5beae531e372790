//! Printing a map's contents: (key, value) byte pairs read from the kernel + the map's
//! [`MapSpec`] → the text (or JSON) BCC's Python printed: histograms per section, count tables
//! sorted by value. Pure: no syscalls.

use std::fmt::Write as _;

use bccc_manifest::{Display, Field, MapSpec, Type};

use crate::columns::{self, Column};
use crate::hist;
use crate::value::{self, SortKey, Value, json_object, json_string};

/// One map entry, per-CPU values already folded into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Key bytes.
    pub key: Vec<u8>,
    /// Value bytes.
    pub value: Vec<u8>,
}

/// How tables and histograms print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewOptions {
    /// One JSON object per table / histogram instead of text.
    pub json: bool,
    /// Only the first N rows of count tables.
    pub top: Option<usize>,
}

/// Keys of maps declared without a key type (arrays) are `u32` indexes.
fn key_type(spec: &MapSpec) -> Type {
    spec.key.clone().unwrap_or(Type::Int {
        size: 4,
        signed: false,
        char: false,
    })
}

fn value_type(spec: &MapSpec) -> Type {
    spec.value.clone().unwrap_or(Type::Int {
        size: 8,
        signed: false,
        char: false,
    })
}

/// Renders one map; empty for hidden maps and event streams.
#[must_use]
pub fn render(spec: &MapSpec, entries: &[Entry], opts: ViewOptions) -> String {
    match &spec.display {
        Display::Hidden | Display::Events { .. } => String::new(),
        Display::Counts => counts(spec, entries, opts),
        Display::Log2Hist { val_type } => histograms(spec, entries, val_type, Kind::Log2, opts),
        Display::LinearHist { val_type } => histograms(spec, entries, val_type, Kind::Linear, opts),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Log2,
    Linear,
}

/// The section and slot members of a struct key, by BCC's rule: first member = section,
/// second = slot, unless the second is `__pad_1` in a three-member key.
fn section_and_slot(key: &Type) -> Option<(&Field, &Field)> {
    let Type::Struct { fields, .. } = key else {
        return None;
    };
    match fields.as_slice() {
        [section, pad, slot] if pad.name == "__pad_1" => Some((section, slot)),
        [section, slot, ..] => Some((section, slot)),
        _ => None,
    }
}

fn histograms(
    spec: &MapSpec,
    entries: &[Entry],
    val_type: &str,
    kind: Kind,
    opts: ViewOptions,
) -> String {
    let key_ty = key_type(spec);
    let value_ty = value_type(spec);
    let slots = if kind == Kind::Log2 {
        hist::LOG2_SLOTS
    } else {
        hist::LINEAR_SLOTS
    };
    // (section sort key, section value, slot counts); one unnamed section for scalar keys.
    let mut sections: Vec<(SortKey, Option<Value>, Vec<u128>)> = Vec::new();
    let split = section_and_slot(&key_ty);
    for e in entries {
        let (section, slot) = match split {
            Some((section_field, slot_field)) => (
                Some(value::decode_field(section_field, &e.key)),
                value::decode_field(slot_field, &e.key),
            ),
            None => (None, value::decode(&key_ty, &e.key)),
        };
        let Some(slot) = slot_index(&slot).filter(|s| *s < slots) else {
            continue;
        };
        let sort = section.as_ref().map_or(SortKey::Num(0), Value::sort_key);
        let idx = if let Some(i) = sections.iter().position(|(k, _, _)| *k == sort) {
            i
        } else {
            sections.push((sort, section, vec![0; slots]));
            sections.len() - 1
        };
        sections[idx].2[slot] += value::as_count(&value_ty, &e.value);
    }
    sections.sort_by(|a, b| a.0.cmp(&b.0));
    if sections.is_empty() && split.is_none() {
        sections.push((SortKey::Num(0), None, vec![0; slots]));
    }
    let section_name = split.map_or("", |(f, _)| f.name.as_str());
    let mut out = String::new();
    for (_, section, vals) in &sections {
        if opts.json {
            let mut members = vec![("map", json_string(&spec.name))];
            if let Some(v) = section {
                members.push((section_name, v.json()));
            }
            members.extend(if kind == Kind::Log2 {
                hist::log2_json(vals, val_type)
            } else {
                hist::linear_json(vals, val_type)
            });
            out.push_str(&json_object(members.into_iter()));
            out.push('\n');
            continue;
        }
        if let Some(v) = section {
            out.push_str(&hist::section_line(section_name, &v.text()));
        }
        out.push_str(&if kind == Kind::Log2 {
            hist::log2_text(vals, val_type)
        } else {
            hist::linear_text(vals, val_type)
        });
    }
    out
}

fn slot_index(v: &Value) -> Option<usize> {
    match v {
        Value::Uint(u) => usize::try_from(*u).ok(),
        Value::Int(i) | Value::Enum { value: i, .. } => usize::try_from(*i).ok(),
        _ => None,
    }
}

/// A count table: key columns (scalar key: `KEY`), value column `COUNT` (struct values: one
/// column per member), sorted by value (first member) descending, then by key.
fn counts(spec: &MapSpec, entries: &[Entry], opts: ViewOptions) -> String {
    let key_ty = key_type(spec);
    let value_ty = value_type(spec);
    let key_cols = columns::columns(&key_ty, "KEY");
    let value_cols = columns::columns(&value_ty, "COUNT");
    let mut rows: Vec<(u128, Vec<SortKey>, &Entry)> = entries
        .iter()
        .map(|e| {
            let sort: Vec<SortKey> = key_cols
                .iter()
                .map(|c| c.value(&e.key).sort_key())
                .collect();
            (value::as_count(&value_ty, &e.value), sort, e)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    rows.truncate(opts.top.unwrap_or(usize::MAX));
    if opts.json {
        let key_json = |e: &Entry| named_json(&key_ty, "key", &e.key);
        let value_json = |e: &Entry| named_json(&value_ty, "count", &e.value);
        let items: Vec<String> = rows
            .iter()
            .map(|(_, _, e)| json_object(key_json(e).into_iter().chain(value_json(e))))
            .collect();
        return format!(
            "{}\n",
            json_object(
                [
                    ("map", json_string(&spec.name)),
                    ("rows", format!("[{}]", items.join(",")))
                ]
                .into_iter()
            )
        );
    }
    let cells: Vec<Vec<Value>> = rows
        .iter()
        .map(|(_, _, e)| {
            let keys = key_cols.iter().map(|c| c.value(&e.key));
            keys.chain(value_cols.iter().map(|c| c.value(&e.value)))
                .collect()
        })
        .collect();
    table(key_cols.iter().chain(&value_cols), &cells)
}

/// (member name, JSON) pairs of a record: struct members, or one pair named `scalar`.
fn named_json(ty: &Type, scalar: &str, bytes: &[u8]) -> Vec<(String, String)> {
    match value::decode(ty, bytes) {
        Value::Struct(members) => members.into_iter().map(|(n, v)| (n, v.json())).collect(),
        v => vec![(scalar.to_owned(), v.json())],
    }
}

/// Text table: upper-cased headers; numbers right-aligned, the rest left-aligned; two spaces
/// between columns; widths fit the widest cell.
fn table<'a>(cols: impl Iterator<Item = &'a Column>, rows: &[Vec<Value>]) -> String {
    let cols: Vec<&Column> = cols.collect();
    let headers: Vec<String> = cols.iter().map(|c| c.name.to_ascii_uppercase()).collect();
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(Value::text).collect())
        .collect();
    let numeric: Vec<bool> = cols
        .iter()
        .map(|c| matches!(c.field.ty, Type::Int { .. } | Type::Float { .. }))
        .collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            texts
                .iter()
                .map(|r| r[i].len())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in std::iter::once(&headers).chain(&texts) {
        let mut cells = Vec::new();
        for (i, text) in line.iter().enumerate() {
            let w = widths[i];
            cells.push(if numeric[i] {
                format!("{text:>w$}")
            } else {
                format!("{text:<w$}")
            });
        }
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::tests::{chars, field, int, strukt};
    use bccc_manifest::{MapKind, SourceLoc};

    fn spec(key: Type, value: Type, display: Display) -> MapSpec {
        MapSpec {
            name: "m".into(),
            object_name: None,
            kind: MapKind::Hash,
            key: Some(key),
            value: Some(value),
            max_entries: 1024,
            display,
            loc: SourceLoc { line: 1, column: 1 },
        }
    }

    fn e(key: &[u8], value: u64) -> Entry {
        Entry {
            key: key.to_vec(),
            value: value.to_le_bytes().to_vec(),
        }
    }

    #[test]
    fn scalar_log2_histogram() {
        let s = spec(
            int(4, false),
            int(8, false),
            Display::Log2Hist {
                val_type: "usecs".into(),
            },
        );
        let entries = [e(&1u32.to_le_bytes(), 2), e(&2u32.to_le_bytes(), 4)];
        let text = render(&s, &entries, ViewOptions::default());
        assert_eq!(
            text,
            concat!(
                "     usecs               : count     distribution\n",
                "         0 -> 1          : 2        |********************                    |\n",
                "         2 -> 3          : 4        |****************************************|\n",
            )
        );
    }

    #[test]
    fn struct_key_histogram_has_one_section_per_first_member() {
        let key = strukt(
            24,
            vec![
                field("disk", 0, chars(16)),
                field("slot", 16, int(8, false)),
            ],
        );
        let s = spec(
            key,
            int(8, false),
            Display::Log2Hist {
                val_type: "usecs".into(),
            },
        );
        let k = |d: &str, slot: u64| {
            let mut b = d.as_bytes().to_vec();
            b.resize(16, 0);
            b.extend(slot.to_le_bytes());
            b
        };
        let entries = [e(&k("sdb", 1), 1), e(&k("sda", 2), 3), e(&k("sda", 1), 1)];
        let text = render(&s, &entries, ViewOptions::default());
        let expected = concat!(
            "\ndisk = sda\n",
            "     usecs               : count     distribution\n",
            "         0 -> 1          : 1        |*************                           |\n",
            "         2 -> 3          : 3        |****************************************|\n",
            "\ndisk = sdb\n",
            "     usecs               : count     distribution\n",
            "         0 -> 1          : 1        |****************************************|\n",
        );
        assert_eq!(text, expected);
        let json = render(
            &s,
            &entries,
            ViewOptions {
                json: true,
                top: None,
            },
        );
        assert!(
            json.lines()
                .next()
                .unwrap()
                .starts_with(r#"{"map":"m","disk":"sda","val_type":"usecs","data":["#),
            "{json}"
        );
    }

    #[test]
    fn counts_sorted_descending_with_top_and_struct_keys() {
        let key = strukt(
            20,
            vec![field("pid", 0, int(4, false)), field("comm", 4, chars(16))],
        );
        let s = spec(key, int(8, false), Display::Counts);
        let k = |pid: u32, comm: &str| {
            let mut b = pid.to_le_bytes().to_vec();
            let mut c = comm.as_bytes().to_vec();
            c.resize(16, 0);
            b.extend(c);
            b
        };
        let entries = [
            e(&k(10, "sh"), 5),
            e(&k(200, "python3"), 1234),
            e(&k(3, "init"), 7),
        ];
        let text = render(&s, &entries, ViewOptions::default());
        let expected = concat!(
            "PID  COMM     COUNT\n",
            "200  python3   1234\n",
            "  3  init         7\n",
            " 10  sh           5\n",
        );
        assert_eq!(text, expected);
        let top = render(
            &s,
            &entries,
            ViewOptions {
                json: false,
                top: Some(1),
            },
        );
        assert_eq!(top.lines().count(), 2);
        let json = render(
            &s,
            &entries,
            ViewOptions {
                json: true,
                top: Some(1),
            },
        );
        assert_eq!(
            json,
            "{\"map\":\"m\",\"rows\":[{\"pid\":200,\"comm\":\"python3\",\"count\":1234}]}\n"
        );
        let scalar = spec(int(4, false), int(8, false), Display::Counts);
        let text = render(
            &scalar,
            &[e(&7u32.to_le_bytes(), 3)],
            ViewOptions::default(),
        );
        assert_eq!(text, "KEY  COUNT\n  7      3\n");
    }
}
