//! Which static inline helpers of the kernel header set a kernel's BTF cannot compile: the set
//! records what each helper's text needs from vmlinux.h (`needs.tsv`: typedefs, struct/union/
//! enum tags, enumerators, struct members), and vmlinux.h depends on the kernel's config as
//! well as its version (a kernel without `CONFIG_MODULES` has no `Elf64_Shdr`). Consumes the
//! BTF and the embedded `needs.tsv`; produces `bccc/kheaders_off.h` (one
//! `#define __BCCC_KH_OFF_<helper>` per helper to leave out; every set header with helpers
//! includes it) and `bccc/kheaders_off.tsv` (helper, first missing need) for diagnostics.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use btf_rs::{Btf, Type};
use fallible_iterator::FallibleIterator;

/// The header the set's files include, under the include root.
pub(crate) const OFF_HEADER: &str = "bccc/kheaders_off.h";
/// Why each helper is off: `helper\tneed`.
pub(crate) const OFF_TABLE: &str = "bccc/kheaders_off.tsv";
/// Part of the cache key: bump when what `render` writes for the same BTF and set changes.
pub(crate) const FORMAT: u32 = 1;

/// The names a BTF defines, by kind.
#[derive(Debug, Default)]
struct BtfNames {
    typedefs: HashSet<String>,
    /// Complete structs and unions (a `Fwd` has no members to read).
    records: HashSet<String>,
    enums: HashSet<String>,
    enumerators: HashSet<String>,
    /// Record tag (or typedef name of an unnamed record) → member names, anonymous members'
    /// own members included.
    members: HashMap<String, HashSet<String>>,
}

impl BtfNames {
    fn read(btf: &Btf) -> BtfNames {
        let mut out = BtfNames::default();
        let mut it = btf.type_iter();
        while let Ok(Some(t)) = it.next() {
            match &t {
                Type::Typedef(td) => {
                    let Ok(n) = btf.resolve_name(td) else {
                        continue;
                    };
                    // `typedef struct { uid_t val; } kuid_t;`: clang names the record kuid_t.
                    if let Ok(Type::Struct(s) | Type::Union(s)) = btf.resolve_chained_type(td)
                        && btf.resolve_name(&s).is_ok_and(|r| r.is_empty())
                    {
                        let mut members = HashSet::new();
                        record_members(btf, &s, &mut members, 0);
                        out.members.entry(n.clone()).or_default().extend(members);
                    }
                    out.typedefs.insert(n);
                }
                Type::Struct(s) | Type::Union(s) => {
                    let Ok(n) = btf.resolve_name(s) else { continue };
                    if n.is_empty() {
                        continue;
                    }
                    let mut members = HashSet::new();
                    record_members(btf, s, &mut members, 0);
                    out.members.entry(n.clone()).or_default().extend(members);
                    out.records.insert(n);
                }
                Type::Enum(e) => {
                    out.add_enum(
                        btf.resolve_name(e).ok(),
                        e.members.iter().map(|m| btf.resolve_name(m)),
                    );
                }
                Type::Enum64(e) => {
                    out.add_enum(
                        btf.resolve_name(e).ok(),
                        e.members.iter().map(|m| btf.resolve_name(m)),
                    );
                }
                _ => {}
            }
        }
        out
    }

    fn extend(&mut self, other: BtfNames) {
        self.typedefs.extend(other.typedefs);
        self.records.extend(other.records);
        self.enums.extend(other.enums);
        self.enumerators.extend(other.enumerators);
        for (rec, fields) in other.members {
            self.members.entry(rec).or_default().extend(fields);
        }
    }

    fn add_enum(
        &mut self,
        name: Option<String>,
        members: impl Iterator<Item = btf_rs::Result<String>>,
    ) {
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            self.enums.insert(n);
        }
        self.enumerators.extend(members.filter_map(Result::ok));
    }

    /// Whether one need (`kind:name`, `member:record.field`) is met; unknown kinds are.
    fn has(&self, need: &str) -> bool {
        let Some((kind, name)) = need.split_once(':') else {
            return true;
        };
        match kind {
            "typedef" => self.typedefs.contains(name),
            "struct" | "union" => self.records.contains(name),
            "enum" => self.enums.contains(name),
            "enumerator" => self.enumerators.contains(name),
            "member" => name.split_once('.').is_some_and(|(rec, field)| {
                self.members.get(rec).is_some_and(|m| m.contains(field))
            }),
            // `helper:` is judged by `off`, which knows which helpers are off; a kind this
            // bccc does not know is met.
            _ => true,
        }
    }
}

/// Member names of `s`, descending into anonymous struct/union members (bounded depth).
fn record_members(btf: &Btf, s: &btf_rs::Struct, out: &mut HashSet<String>, depth: u32) {
    for m in &s.members {
        match btf.resolve_name(m) {
            Ok(n) if !n.is_empty() => {
                out.insert(n);
            }
            _ if depth < 8 => {
                if let Ok(Type::Struct(inner) | Type::Union(inner)) = btf.resolve_chained_type(m) {
                    record_members(btf, &inner, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// The helpers `needs` (the set's `needs.tsv`) that a BTF with `names` cannot compile, with
/// the first missing need of each, in the table's order. `helper:X` is met while X is on, so
/// the callers of a helper that is off are off too.
fn off(names: &BtfNames, needs: &str) -> Vec<(String, String)> {
    let table: Vec<(&str, Vec<&str>)> = needs
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (helper, list) = l.split_once('\t')?;
            Some((helper, list.split(' ').filter(|n| !n.is_empty()).collect()))
        })
        .collect();
    let mut off: HashMap<&str, &str> = HashMap::new();
    loop {
        let before = off.len();
        for (helper, list) in &table {
            if off.contains_key(helper) {
                continue;
            }
            let missing = list.iter().find(|n| match n.strip_prefix("helper:") {
                Some(callee) => off.contains_key(callee),
                None => !names.has(n),
            });
            if let Some(m) = missing {
                off.insert(helper, m);
            }
        }
        if off.len() == before {
            break;
        }
    }
    table
        .iter()
        .filter_map(|(h, _)| off.get(h).map(|m| ((*h).to_owned(), (*m).to_owned())))
        .collect()
}

/// `(OFF_HEADER text, OFF_TABLE text)` for the BTF at `btf_path` and the module BTFs split
/// from it (their types are in vmlinux.h too). An unreadable BTF leaves every helper on:
/// dumping vmlinux.h from it has already succeeded, so this does not happen.
pub(crate) fn render(btf_path: &Path, modules: &[PathBuf], needs: &str) -> (String, String) {
    let list = Btf::from_file(btf_path)
        .map(|btf| {
            let mut names = BtfNames::read(&btf);
            for m in modules {
                if let Ok(split) = Btf::from_split_file(m, &btf) {
                    names.extend(BtfNames::read(&split));
                }
            }
            off(&names, needs)
        })
        .unwrap_or_default();
    let mut header = String::from(
        "/* Generated by bccc for this kernel's BTF: the kernel header set's helpers it cannot\n * compile (what they need, from needs.tsv, is not in its vmlinux.h). */\n#ifndef __BCCC_KHEADERS_OFF_H\n#define __BCCC_KHEADERS_OFF_H\n",
    );
    let mut table = String::new();
    for (helper, need) in &list {
        let _ = writeln!(header, "#define __BCCC_KH_OFF_{helper} /* {need} */");
        let _ = writeln!(table, "{helper}\t{need}");
    }
    header.push_str("#endif\n");
    (header, table)
}

/// Why `helper` is left out of the set in the include dir `include`, if it is.
#[must_use]
pub fn why_off(include: &Path, helper: &str) -> Option<String> {
    let table = std::fs::read_to_string(include.join(OFF_TABLE)).ok()?;
    table.lines().find_map(|l| {
        let (h, need) = l.split_once('\t')?;
        (h == helper).then(|| need.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_of_each_kind_are_looked_up() {
        let mut n = BtfNames::default();
        n.typedefs.insert("u32".into());
        n.records.insert("sk_buff".into());
        n.enumerators.insert("REQ_OP_WRITE".into());
        n.members
            .entry("sk_buff".into())
            .or_default()
            .insert("len".into());
        for have in [
            "typedef:u32",
            "struct:sk_buff",
            "enumerator:REQ_OP_WRITE",
            "member:sk_buff.len",
            "future:x",
        ] {
            assert!(n.has(have), "{have}");
        }
        for lack in [
            "typedef:Elf64_Shdr",
            "union:sk_buff_x",
            "member:sk_buff.mm_cid",
            "member:task_struct.pid",
            "enum:req_op",
        ] {
            assert!(!n.has(lack), "{lack}");
        }
    }

    #[test]
    fn this_kernels_btf_turns_off_only_helpers_with_missing_needs() {
        let btf = Path::new("/sys/kernel/btf/vmlinux");
        if !btf.exists() {
            return;
        }
        let needs = "# header\nok\ttypedef:u32 struct:task_struct member:task_struct.pid member:kuid_t.val\n\
                     bad\ttypedef:u32 typedef:__bccc_no_such_type\ncaller\thelper:ok helper:bad\n";
        let (header, table) = render(btf, &[], needs);
        assert_eq!(
            table,
            "bad\ttypedef:__bccc_no_such_type\ncaller\thelper:bad\n"
        );
        assert!(header.contains("#define __BCCC_KH_OFF_bad "));
        assert!(!header.contains("__BCCC_KH_OFF_ok"));
    }
}
