//! Tracepoint records. The compiler reads a tracepoint's `format` file on the build host (to give
//! the parse BCC's `struct tracepoint__<cat>__<ev>`); the runtime reads the same file on the
//! target (to describe that struct's layout there). Both use [`parse_format`].
//!
//! [`TracepointRecord`] is what the compiler passes: the struct's fields and the kind of value
//! each holds, so the runtime can describe each field to libbpf's CO-RE relocation with a type
//! the compiled program's type is compatible with.

use serde::{Deserialize, Serialize};

/// A field whose data lives after the fixed part of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dynamic {
    /// `__data_loc T[] name`: a u32, low 16 bits the data's offset from the record's start,
    /// high 16 bits its length. BCC names the member `data_loc_<name>`.
    DataLoc,
    /// `__rel_loc T[] name` (5.17+): the offset counts from the end of the u32 itself.
    /// Named `rel_loc_<name>` (BCC has no name for it).
    RelLoc,
}

/// One `field:` line of a format file (the `common_*` header fields are not returned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// `__data_loc` / `__rel_loc` fields.
    pub dynamic: Option<Dynamic>,
}

impl FormatField {
    /// The member name in BCC's struct: `data_loc_<name>` for `__data_loc` fields,
    /// `rel_loc_<name>` for `__rel_loc` ones, else the name.
    #[must_use]
    pub fn bcc_name(&self) -> String {
        match self.dynamic {
            Some(Dynamic::DataLoc) => format!("data_loc_{}", self.name),
            Some(Dynamic::RelLoc) => format!("rel_loc_{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Parses the `field:` lines of a format file, skipping the `common_*` header fields (BCC
/// hides them too).
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
    let (mut offset, mut size, mut signed) = (None, None, false);
    for p in parts {
        if let Some(v) = p.strip_prefix("offset:") {
            offset = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("size:") {
            size = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("signed:") {
            signed = v == "1";
        }
    }
    let (dynamic, decl) = if let Some(d) = decl.strip_prefix("__data_loc ") {
        (Some(Dynamic::DataLoc), d.trim())
    } else if let Some(d) = decl.strip_prefix("__rel_loc ") {
        (Some(Dynamic::RelLoc), d.trim())
    } else {
        (None, decl)
    };
    let (ty, name, array) = if dynamic.is_some() {
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
    if name.is_empty() || ty.is_empty() {
        return None;
    }
    Some(FormatField {
        ty: ty.into(),
        name: name.into(),
        array,
        offset: offset?,
        size: size?,
        signed,
        dynamic,
    })
}

/// What a field (or, for an array, each of its elements) holds, as CO-RE compares types:
/// integers match integers of any size, pointers any pointer, enums any anonymous enum,
/// structs and unions any struct or union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// An integer, `bool` or `char` (typedefs resolved).
    Int,
    /// An enum.
    Enum,
    /// A pointer.
    Pointer,
    /// A struct or union held by value.
    Aggregate,
}

/// One field of a tracepoint struct as the compiled program declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordField {
    /// The member name (BCC's: `data_loc_<name>` for `__data_loc` fields).
    pub name: String,
    /// What the field holds (each element's kind for an array).
    pub kind: ValueKind,
    /// The size in bytes of the value, or of one element for an array, as compiled.
    pub size: u32,
    /// Whether the field is an array (its length is the target's field size over `size`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub array: bool,
}

/// A tracepoint whose record the program reads through BCC's `struct tracepoint__<cat>__<ev>`.
/// The object's CO-RE relocations name that struct; the runtime describes it with the offsets
/// of the running kernel's format file, so field reads land where that kernel puts them, under
/// whatever name its BTF gives the record (or none: per-syscall events have no struct in BTF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracepointRecord {
    /// Category (`block`).
    pub category: String,
    /// Event (`block_rq_complete`).
    pub event: String,
    /// The struct's fields, in order (the padding BCC adds is not listed).
    pub fields: Vec<RecordField>,
}

impl TracepointRecord {
    /// The struct's name: `tracepoint__<category>__<event>`.
    #[must_use]
    pub fn struct_name(&self) -> String {
        format!("tracepoint__{}__{}", self.category, self.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMAT: &str = "name: sys_enter_openat\nID: 782\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
        \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n\
        \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\
        \tfield:__data_loc char[] name;\toffset:32;\tsize:4;\tsigned:0;\n\
        \tfield:__rel_loc u8[] buf;\toffset:36;\tsize:4;\tsigned:0;\n\
        \tfield:char comm[16];\toffset:40;\tsize:16;\tsigned:0;\n\n\
        print fmt: \"dfd: 0x%08lx\", ((unsigned long)(REC->dfd))\n";

    #[test]
    fn parses_fields_skipping_the_common_header() {
        let fields = parse_format(FORMAT);
        let names: Vec<_> = fields.iter().map(FormatField::bcc_name).collect();
        assert_eq!(
            names,
            [
                "__syscall_nr",
                "dfd",
                "filename",
                "data_loc_name",
                "rel_loc_buf",
                "comm"
            ]
        );
        assert_eq!(fields[0].offset, 8);
        assert!(fields[0].signed);
        assert_eq!((fields[1].offset, fields[1].size), (16, 8));
        assert_eq!(fields[2].ty, "const char *");
        assert_eq!(fields[3].dynamic, Some(Dynamic::DataLoc));
        assert_eq!(fields[3].ty, "char");
        assert_eq!(fields[4].dynamic, Some(Dynamic::RelLoc));
        assert_eq!(
            (fields[5].ty.as_str(), fields[5].array.as_str()),
            ("char", "[16]")
        );
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = "\tfield:int;\toffset:8;\tsize:4;\n\tfield:int x;\toffset:z;\tsize:4;\n\
            \tfield:int y;\tsize:4;\n\tfield:long ok;\toffset:8;\tsize:8;\tsigned:1;\n";
        let fields = parse_format(text);
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].name, "ok");
    }

    #[test]
    fn record_struct_name_is_bccs() {
        let r = TracepointRecord {
            category: "block".into(),
            event: "block_rq_complete".into(),
            fields: Vec::new(),
        };
        assert_eq!(r.struct_name(), "tracepoint__block__block_rq_complete");
    }
}
