//! Tracepoint argument structs: BCC's `struct tracepoint__<cat>__<ev>`, generated from the build
//! host's `events/<cat>/<ev>/format` file (spec C.1), so `args->field` type-checks in the parse.
//!
//! Consumes tracepoint names; produces [`TracepointFormat`]s (kept in the `Program` for the
//! rewrite, which maps fields onto vmlinux.h's `trace_event_raw_*` structs) and the C text of the
//! structs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Where tracefs may be mounted, in the order BCC tries them.
const TRACEFS: [&str; 2] = ["/sys/kernel/debug/tracing", "/sys/kernel/tracing"];

/// One `field:` line of a format file (common fields excluded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormatField {
    /// The declared type without the name (`const char *`, `char`, `unsigned long`).
    pub ty: String,
    /// The field name as the format file spells it.
    pub name: String,
    /// The array suffix (`[16]`), if any.
    pub array: String,
    /// Byte offset in the record.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// Whether the format says signed.
    pub signed: bool,
    /// `__data_loc` field (BCC names it `data_loc_<name>`).
    pub data_loc: bool,
}

impl FormatField {
    /// The member name in BCC's struct.
    #[must_use]
    pub fn bcc_name(&self) -> String {
        if self.data_loc {
            format!("data_loc_{}", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// Where a tracepoint's layout came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatSource {
    /// The build host's tracefs format file.
    Tracefs,
    /// Only `struct trace_event_raw_<event>` in BTF (no format file on the build host).
    Btf,
}

/// A tracepoint the program uses and its argument layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TracepointFormat {
    /// Category (`syscalls`).
    pub category: String,
    /// Event (`sys_enter_openat`).
    pub event: String,
    /// Fields after the common header, in order (empty for [`FormatSource::Btf`]).
    pub fields: Vec<FormatField>,
    /// Where the layout came from.
    pub source: FormatSource,
}

impl TracepointFormat {
    /// BCC's struct name.
    #[must_use]
    pub fn struct_name(&self) -> String {
        format!("tracepoint__{}__{}", self.category, self.event)
    }

    /// Whether this is a per-syscall event (`syscalls:sys_enter_*` / `sys_exit_*`), whose record
    /// vmlinux.h describes only generically.
    #[must_use]
    pub fn is_syscall(&self) -> bool {
        self.category == "syscalls"
    }

    /// The field with BCC member name `name`.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&FormatField> {
        self.fields.iter().find(|f| f.bcc_name() == name)
    }
}

/// The format file path of `cat:ev` on this host, if one exists.
fn format_path(category: &str, event: &str) -> Option<PathBuf> {
    TRACEFS
        .iter()
        .map(|root| {
            Path::new(root)
                .join("events")
                .join(category)
                .join(event)
                .join("format")
        })
        .find(|p| p.is_file())
}

/// Reads `cat:ev`'s format file; `None` if the host has none.
#[must_use]
pub fn read_format(category: &str, event: &str) -> Option<TracepointFormat> {
    let text = std::fs::read_to_string(format_path(category, event)?).ok()?;
    let fields = parse_format(&text);
    Some(TracepointFormat {
        category: category.into(),
        event: event.into(),
        fields,
        source: FormatSource::Tracefs,
    })
}

/// Parses the `field:` lines of a format file, skipping `common_*` fields.
#[must_use]
pub fn parse_format(text: &str) -> Vec<FormatField> {
    text.lines()
        .filter_map(parse_field_line)
        .filter(|f| !f.name.starts_with("common_"))
        .collect()
}

fn parse_field_line(line: &str) -> Option<FormatField> {
    let rest = line.trim().strip_prefix("field:")?;
    let mut parts = rest.split(';').map(str::trim);
    let decl = parts.next()?;
    let mut offset = None;
    let mut size = None;
    let mut signed = false;
    for p in parts {
        if let Some(v) = p.strip_prefix("offset:") {
            offset = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("size:") {
            size = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("signed:") {
            signed = v == "1";
        }
    }
    let (data_loc, decl) = match decl.strip_prefix("__data_loc ") {
        Some(d) => (true, d.trim()),
        None => (false, decl),
    };
    let (ty, name, array) = if data_loc {
        // `__data_loc char[] name`: the name follows the brackets.
        let (ty, name) = decl.split_once('[')?;
        (ty.trim(), name.rsplit(']').next()?.trim(), String::new())
    } else {
        let (head, array) = match decl.find('[') {
            Some(i) => (decl[..i].trim_end(), decl[i..].to_owned()),
            None => (decl, String::new()),
        };
        let split = head.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
        (head[..=split].trim(), &head[split + 1..], array)
    };
    if name.is_empty() {
        return None;
    }
    Some(FormatField {
        ty: ty.into(),
        name: name.into(),
        array,
        offset: offset?,
        size: size?,
        signed,
        data_loc,
    })
}

/// BCC's type widening for a field whose slot is larger than its declared type (spec C.1).
fn widened(ty: &str, size: u32) -> Option<&'static str> {
    const S8: [&str; 2] = ["char", "int8_t"];
    const U8: [&str; 2] = ["unsigned char", "uint8_t"];
    const S16: [&str; 2] = ["short", "int16_t"];
    const U16: [&str; 2] = ["unsigned short", "uint16_t"];
    const S32: [&str; 3] = ["int", "int32_t", "pid_t"];
    const U32: [&str; 6] = [
        "unsigned int",
        "uint32_t",
        "unsigned",
        "u32",
        "uid_t",
        "gid_t",
    ];
    let any = |set: &[&str]| set.contains(&ty);
    match size {
        2 if any(&S8) => Some("s16"),
        2 if any(&U8) => Some("u16"),
        4 if any(&S8) || any(&S16) => Some("s32"),
        4 if any(&U8) || any(&U16) => Some("u32"),
        8 if any(&S8) || any(&S16) || any(&S32) => Some("s64"),
        8 if any(&U8) || any(&U16) || any(&U32) => Some("u64"),
        _ => None,
    }
}

/// The C definition of BCC's struct for `tp`.
#[must_use]
pub fn struct_text(tp: &TracepointFormat) -> String {
    let name = tp.struct_name();
    if tp.source == FormatSource::Btf {
        // No format file: expose vmlinux.h's record through an anonymous member (-fms-extensions).
        return format!(
            "struct {name} {{ struct trace_event_raw_{}; }};\n",
            tp.event
        );
    }
    let mut out = format!("struct {name} {{\n\tu64 __do_not_use__;\n");
    let mut offset = 8;
    for f in &tp.fields {
        while offset < f.offset {
            let _ = writeln!(out, "\tchar __pad_{offset};");
            offset += 1;
        }
        let decl = if f.data_loc {
            format!("int data_loc_{};", f.name)
        } else if let Some(w) = widened(&f.ty, f.size).filter(|_| f.array.is_empty()) {
            format!("{w} {};", f.name)
        } else {
            format!("{} {}{};", f.ty, f.name, f.array)
        };
        let _ = writeln!(out, "\t{decl}");
        offset = f.offset + f.size;
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAT: &str = "name: sys_enter_openat\nID: 782\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
        \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n\
        \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\
        \tfield:__data_loc char[] name;\toffset:32;\tsize:4;\tsigned:0;\n\
        \tfield:char comm[16];\toffset:36;\tsize:16;\tsigned:0;\n";

    #[test]
    fn parses_fields_and_generates_bcc_struct() {
        let fields = parse_format(OPENAT);
        let names: Vec<_> = fields.iter().map(FormatField::bcc_name).collect();
        assert_eq!(
            names,
            ["__syscall_nr", "dfd", "filename", "data_loc_name", "comm"]
        );
        assert_eq!(fields[2].ty, "const char *");
        assert_eq!(fields[4].array, "[16]");
        let tp = TracepointFormat {
            category: "syscalls".into(),
            event: "e".into(),
            fields,
            source: FormatSource::Tracefs,
        };
        let text = struct_text(&tp);
        assert!(
            text.contains("\tint __syscall_nr;\n\tchar __pad_12;"),
            "{text}"
        );
        assert!(
            text.contains(
                "\ts64 dfd;\n\tconst char * filename;\n\tint data_loc_name;\n\tchar comm[16];"
            ),
            "{text}"
        );
    }

    #[test]
    fn reads_this_hosts_format_file() {
        let tp = read_format("sched", "sched_switch").expect("tracefs is mounted (see .ci/run)");
        assert!(tp.field("prev_pid").is_some());
        assert!(read_format("nosuch", "event").is_none());
    }
}
