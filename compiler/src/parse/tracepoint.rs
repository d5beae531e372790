//! Tracepoint argument structs: BCC's `struct tracepoint__<cat>__<ev>`, generated from the build
//! host's `events/<cat>/<ev>/format` file (spec C.1), so `args->field` type-checks in the parse.
//!
//! Consumes tracepoint names; produces [`TracepointFormat`]s (kept in the `Program` for the
//! rewrite and the package) and the C text of the structs: as BCC writes them for the parse, and
//! the same marked `preserve_access_index` for the compile, so every field read is a CO-RE
//! relocation the runtime resolves against the target's own format file (spec C.3).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use bccc_manifest::tracepoint::{Dynamic, FormatField, parse_format};
use serde::Serialize;

/// Where tracefs may be mounted, in the order BCC tries them.
const TRACEFS: [&str; 2] = ["/sys/kernel/debug/tracing", "/sys/kernel/tracing"];

/// Where a tracepoint's layout came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatSource {
    /// The build host's tracefs format file.
    Tracefs,
    /// Only `struct trace_event_raw_<event>` in BTF (no format file on the build host): the
    /// members are vmlinux.h's, spelled with `typeof`.
    Btf,
}

/// A tracepoint the program uses and its argument layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TracepointFormat {
    /// Category (`syscalls`).
    pub category: String,
    /// Event (`sys_enter_openat`).
    pub event: String,
    /// Fields after the common header, in order.
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

/// `cat:ev`'s layout from `struct trace_event_raw_<ev>` in the BTF at `btf`, for a build host
/// without the format file: each member is typed through `typeof` on vmlinux.h's struct, and
/// `__data_loc_<f>` becomes BCC's `data_loc_<f>`. Sizes are unknown (0), so no padding.
#[must_use]
pub fn from_btf(btf: &Path, category: &str, event: &str) -> Option<TracepointFormat> {
    let btf = btf_rs::Btf::from_file_with_backend(btf, btf_rs::Backend::Mmap).ok()?;
    let raw = format!("trace_event_raw_{event}");
    let types = btf.resolve_types_by_name(&raw).ok()?;
    let st = types.iter().find_map(|t| match t {
        btf_rs::Type::Struct(s) => Some(s),
        _ => None,
    })?;
    let mut fields = Vec::new();
    for m in &st.members {
        let name = btf.resolve_name(m).ok()?;
        if name == "ent" || name == "__data" {
            continue;
        }
        let (dynamic, name) = if let Some(n) = name.strip_prefix("__data_loc_") {
            (Some(Dynamic::DataLoc), n.to_owned())
        } else if let Some(n) = name.strip_prefix("__rel_loc_") {
            (Some(Dynamic::RelLoc), n.to_owned())
        } else {
            (None, name)
        };
        let ty = match dynamic {
            Some(_) => "u32".to_owned(),
            None => format!("typeof(((struct {raw} *)0)->{name})"),
        };
        fields.push(FormatField {
            ty,
            name,
            array: String::new(),
            offset: m.bit_offset() / 8,
            size: 0,
            signed: false,
            dynamic,
        });
    }
    Some(TracepointFormat {
        category: category.into(),
        event: event.into(),
        fields,
        source: FormatSource::Btf,
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

/// Which translation unit a struct definition is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructFor {
    /// The parse: BCC's struct as BCC generates it.
    Parse,
    /// The compile: the same members, marked `preserve_access_index` so each access is a CO-RE
    /// relocation against the struct's name, which the runtime defines with the target's
    /// offsets.
    Compile,
}

/// The C definition of BCC's struct for `tp`.
#[must_use]
pub fn struct_text(tp: &TracepointFormat, usage: StructFor) -> String {
    let name = tp.struct_name();
    let mut out = format!("struct {name} {{\n\tu64 __do_not_use__;\n");
    let mut offset = 8;
    for f in &tp.fields {
        while offset < f.offset && tp.source == FormatSource::Tracefs {
            let _ = writeln!(out, "\tchar __pad_{offset};");
            offset += 1;
        }
        let decl = if f.dynamic.is_some() {
            format!("int {};", f.bcc_name())
        } else if let Some(w) = widened(&f.ty, f.size).filter(|_| f.array.is_empty()) {
            format!("{w} {};", f.name)
        } else {
            format!("{} {}{};", f.ty, f.name, f.array)
        };
        let _ = writeln!(out, "\t{decl}");
        offset = f.offset + f.size;
    }
    out.push_str(match usage {
        StructFor::Parse => "};\n",
        StructFor::Compile => "} __attribute__((preserve_access_index));\n",
    });
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
        let text = struct_text(&tp, StructFor::Parse);
        assert!(
            text.contains("\tint __syscall_nr;\n\tchar __pad_12;"),
            "{text}"
        );
        assert!(text.ends_with("};\n"), "{text}");
        let compiled = struct_text(&tp, StructFor::Compile);
        assert_eq!(
            compiled.replace(" __attribute__((preserve_access_index))", ""),
            text
        );
        assert!(
            text.contains(
                "\ts64 dfd;\n\tconst char * filename;\n\tint data_loc_name;\n\tchar comm[16];"
            ),
            "{text}"
        );
    }

    #[test]
    fn btf_records_stand_in_for_a_missing_format_file() {
        let btf = Path::new("/sys/kernel/btf/vmlinux");
        let tp = from_btf(btf, "sched", "sched_process_exec").expect("the record is in BTF");
        assert_eq!(tp.source, FormatSource::Btf);
        let names: Vec<_> = tp.fields.iter().map(FormatField::bcc_name).collect();
        assert_eq!(names, ["data_loc_filename", "pid", "old_pid"]);
        let text = struct_text(&tp, StructFor::Compile);
        assert!(
            text.contains("\ttypeof(((struct trace_event_raw_sched_process_exec *)0)->pid) pid;\n"),
            "{text}"
        );
        assert!(text.contains("\tint data_loc_filename;\n"), "{text}");
        assert!(from_btf(btf, "nosuch", "event").is_none());
    }

    #[test]
    fn reads_this_hosts_format_file() {
        let tp = read_format("sched", "sched_switch").expect("tracefs is mounted (see .ci/run)");
        assert!(tp.field("prev_pid").is_some());
        assert!(read_format("nosuch", "event").is_none());
    }
}
