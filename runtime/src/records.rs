//! Tracepoint records at load time (spec C.3): the kernel's raw BTF + the manifest's
//! [`TracepointRecord`]s + this kernel's format files → the same BTF with one `struct
//! tracepoint__<cat>__<ev>` appended per record, laid out as this kernel lays the record out.
//! libbpf relocates the program's field accesses against it (`btf_custom_path`), so a tool built
//! once reads each field where the running kernel puts it, whatever its BTF names the record
//! (an event class's struct, a name that changed between versions, no struct at all for
//! per-syscall events): BCC's "the running kernel's format file" semantics, without a compiler.
//! Pure: bytes and text in, bytes out.

use std::collections::HashMap;

use bccc_manifest::tracepoint::FormatField;
use bccc_manifest::{RecordField, TracepointRecord, ValueKind};

const BTF_MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;

// BTF kinds (include/uapi/linux/btf.h).
const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_ENUM: u32 = 6;

// BTF_INT_* encodings.
const INT_SIGNED: u32 = 1;

/// Why the kernel's BTF could not be extended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BtfError {
    /// Not raw BTF in this machine's byte order.
    #[error("not raw BTF (bad magic or header)")]
    Header,
    /// A section lies outside the data, or a type runs past its section.
    #[error("BTF truncated")]
    Truncated,
    /// A type kind this reader does not know (a newer kernel's).
    #[error("unknown BTF kind {0}")]
    UnknownKind(u32),
}

/// The kernel's BTF, split into what appending needs.
struct Base<'a> {
    types: &'a [u8],
    strings: &'a [u8],
    /// Number of types (ids 1..=count), so appended types start at `count + 1`.
    count: u32,
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, BtfError> {
    let bytes = b.get(at..at + 4).ok_or(BtfError::Truncated)?;
    Ok(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn parse_base(raw: &[u8]) -> Result<Base<'_>, BtfError> {
    let magic = raw.get(0..2).ok_or(BtfError::Header)?;
    if u16::from_ne_bytes([magic[0], magic[1]]) != BTF_MAGIC {
        return Err(BtfError::Header);
    }
    let hdr_len = u32_at(raw, 4)? as usize;
    if hdr_len < HEADER_LEN {
        return Err(BtfError::Header);
    }
    let section = |off: usize, len: usize| -> Result<&[u8], BtfError> {
        let start = hdr_len + u32_at(raw, off)? as usize;
        let end = start + u32_at(raw, len)? as usize;
        raw.get(start..end).ok_or(BtfError::Truncated)
    };
    let types = section(8, 12)?;
    let strings = section(16, 20)?;
    Ok(Base {
        types,
        strings,
        count: count_types(types)?,
    })
}

/// Walks the type section: each type is 12 bytes plus a kind-dependent tail.
fn count_types(types: &[u8]) -> Result<u32, BtfError> {
    let (mut at, mut count) = (0usize, 0u32);
    while at < types.len() {
        let info = u32_at(types, at + 4)?;
        let vlen = (info & 0xffff) as usize;
        let tail = match (info >> 24) & 0x1f {
            // INT, VAR, DECL_TAG: one u32.
            1 | 14 | 17 => 4,
            // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG: nothing.
            2 | 7..=12 | 16 | 18 => 0,
            KIND_ARRAY => 12,
            // STRUCT, UNION, DATASEC, ENUM64: three u32 per member, variable or value.
            4 | 5 | 15 | 19 => 12 * vlen,
            // ENUM, FUNC_PROTO: two u32 per value or parameter.
            6 | 13 => 8 * vlen,
            kind => return Err(BtfError::UnknownKind(kind)),
        };
        at += 12 + tail;
        count += 1;
    }
    if at == types.len() {
        Ok(count)
    } else {
        Err(BtfError::Truncated)
    }
}

/// A type to append, before encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NewType {
    Int {
        size: u32,
        signed: bool,
    },
    Enum {
        size: u32,
        signed: bool,
    },
    Pointer,
    /// An anonymous struct of this size without members: what CO-RE needs to match a struct
    /// or union held by value.
    Blob {
        size: u32,
    },
    Array {
        elem: u32,
        nelems: u32,
    },
}

/// Types and strings appended after the kernel's.
struct Appender {
    first_id: u32,
    base_strings: u32,
    types: Vec<u8>,
    strings: Vec<u8>,
    ids: HashMap<NewType, u32>,
    next_id: u32,
}

impl Appender {
    fn new(base: &Base<'_>) -> Appender {
        Appender {
            first_id: base.count + 1,
            base_strings: base.strings.len() as u32,
            types: Vec::new(),
            strings: Vec::new(),
            ids: HashMap::new(),
            next_id: base.count + 1,
        }
    }

    fn string(&mut self, s: &str) -> u32 {
        let off = self.base_strings + self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        off
    }

    fn push(&mut self, words: &[u32]) -> u32 {
        for w in words {
            self.types.extend_from_slice(&w.to_ne_bytes());
        }
        self.next_id += 1;
        self.next_id - 1
    }

    fn info(kind: u32, vlen: usize, kflag: bool) -> u32 {
        (u32::from(kflag) << 31) | (kind << 24) | (vlen as u32 & 0xffff)
    }

    /// The id of `t`, appending it once.
    fn id(&mut self, t: &NewType) -> u32 {
        if let Some(id) = self.ids.get(t) {
            return *id;
        }
        let id = match *t {
            NewType::Int { size, signed } => {
                let name = self.string(&format!(
                    "__bccc_{}{}",
                    if signed { 's' } else { 'u' },
                    size * 8
                ));
                let encoding = if signed { INT_SIGNED } else { 0 };
                self.push(&[
                    name,
                    Self::info(KIND_INT, 0, false),
                    size,
                    (encoding << 24) | (size * 8),
                ])
            }
            NewType::Enum { size, signed } => {
                self.push(&[0, Self::info(KIND_ENUM, 0, signed), size])
            }
            NewType::Pointer => self.push(&[0, Self::info(KIND_PTR, 0, false), 0]),
            NewType::Blob { size } => self.push(&[0, Self::info(KIND_STRUCT, 0, false), size]),
            NewType::Array { elem, nelems } => {
                let index = self.id(&NewType::Int {
                    size: 4,
                    signed: false,
                });
                self.push(&[0, Self::info(KIND_ARRAY, 0, false), 0, elem, index, nelems])
            }
        };
        self.ids.insert(t.clone(), id);
        id
    }

    fn encode(self, base: &Base<'_>) -> Vec<u8> {
        let type_len = base.types.len() + self.types.len();
        let str_len = base.strings.len() + self.strings.len();
        let mut out = Vec::with_capacity(HEADER_LEN + type_len + str_len);
        out.extend_from_slice(&BTF_MAGIC.to_ne_bytes());
        out.extend_from_slice(&[1, 0]);
        for w in [HEADER_LEN, 0, type_len, type_len, str_len] {
            out.extend_from_slice(&(w as u32).to_ne_bytes());
        }
        out.extend_from_slice(base.types);
        out.extend_from_slice(&self.types);
        out.extend_from_slice(base.strings);
        out.extend_from_slice(&self.strings);
        out
    }
}

/// A value of `kind` in `size` bytes, or `None` when no type of that kind has that size.
fn scalar(kind: ValueKind, size: u32, signed: bool) -> Option<NewType> {
    let int_size = matches!(size, 1 | 2 | 4 | 8 | 16);
    match kind {
        ValueKind::Int if int_size => Some(NewType::Int { size, signed }),
        ValueKind::Enum if int_size => Some(NewType::Enum { size, signed }),
        ValueKind::Pointer => Some(NewType::Pointer),
        ValueKind::Aggregate => Some(NewType::Blob { size }),
        ValueKind::Int | ValueKind::Enum => None,
    }
}

/// The type describing `field` on this kernel, where the format says it is `target`.
///
/// An integer is read at the compiled width when this kernel's slot is as wide or wider: the
/// low bytes of the slot (these are little-endian targets) hold the value as BCC's narrower
/// declared type would read it, and CO-RE has no signed width change to refuse. A narrower
/// slot is described as it is: libbpf then narrows the load (unsigned) or refuses (signed).
fn field_type(a: &mut Appender, field: &RecordField, target: &FormatField) -> Option<u32> {
    if field.array {
        let elem = a.id(&scalar(field.kind, field.size, target.signed)?);
        let nelems = target.size.checked_div(field.size).unwrap_or(0);
        return Some(a.id(&NewType::Array { elem, nelems }));
    }
    let size = match field.kind {
        ValueKind::Int | ValueKind::Enum => field.size.min(target.size),
        ValueKind::Pointer | ValueKind::Aggregate => target.size,
    };
    Some(a.id(&scalar(field.kind, size, target.signed)?))
}

/// One record's struct, appended: the members this kernel's format has, at its offsets.
/// Returns the program's fields this kernel lacks.
fn append_record(
    a: &mut Appender,
    record: &TracepointRecord,
    format: &[FormatField],
) -> Vec<String> {
    let mut members = Vec::new();
    let mut missing = Vec::new();
    for field in &record.fields {
        let target = format.iter().find(|f| f.bcc_name() == field.name);
        match target.and_then(|t| Some((t, field_type(a, field, t)?))) {
            Some((t, ty)) => members.push((field.name.as_str(), ty, t.offset * 8)),
            None => missing.push(field.name.clone()),
        }
    }
    let size = format.iter().map(|f| f.offset + f.size).max().unwrap_or(0);
    let name = a.string(&record.struct_name());
    let mut words = vec![
        name,
        Appender::info(KIND_STRUCT, members.len(), false),
        size,
    ];
    for (member, ty, bit_offset) in members {
        words.extend([a.string(member), ty, bit_offset]);
    }
    a.push(&words);
    missing
}

/// The result of [`extend`].
#[derive(Debug)]
pub struct Extended {
    /// The kernel's BTF with the records' structs appended.
    pub btf: Vec<u8>,
    /// Per record (in the manifest's order), the fields its program reads that this kernel's
    /// format lacks; empty vectors when every field exists.
    pub missing: Vec<Vec<String>>,
}

/// Appends one struct per `(record, this kernel's format fields)` to the raw BTF `base`.
pub fn extend(
    base: &[u8],
    records: &[(&TracepointRecord, Vec<FormatField>)],
) -> Result<Extended, BtfError> {
    let base = parse_base(base)?;
    let mut a = Appender::new(&base);
    debug_assert_eq!(a.first_id, a.next_id);
    let missing = records
        .iter()
        .map(|(record, format)| append_record(&mut a, record, format))
        .collect();
    Ok(Extended {
        btf: a.encode(&base),
        missing,
    })
}

#[cfg(test)]
mod tests {
    use bccc_manifest::tracepoint::parse_format;
    use libbpf_rs::btf::{Btf, BtfKind, BtfType, types};

    use super::*;

    /// A minimal raw BTF: `int` (id 1), `struct pair { int a; int b; }` (id 2).
    fn tiny_base() -> Vec<u8> {
        let strings = b"\0int\0pair\0a\0b\0";
        let mut types = Vec::new();
        for w in [1u32, KIND_INT << 24, 4, (INT_SIGNED << 24) | 32] {
            types.extend_from_slice(&w.to_ne_bytes());
        }
        for w in [5u32, (KIND_STRUCT << 24) | 2, 8, 10, 1, 0, 12, 1, 32] {
            types.extend_from_slice(&w.to_ne_bytes());
        }
        let mut out = Vec::new();
        out.extend_from_slice(&BTF_MAGIC.to_ne_bytes());
        out.extend_from_slice(&[1, 0]);
        for w in [24, 0, types.len(), types.len(), strings.len()] {
            out.extend_from_slice(&(w as u32).to_ne_bytes());
        }
        out.extend_from_slice(&types);
        out.extend_from_slice(strings);
        out
    }

    const FORMAT: &str = "name: block_rq_complete\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n\
        \tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n\
        \tfield:int error;\toffset:28;\tsize:4;\tsigned:1;\n\
        \tfield:char rwbs[10];\toffset:34;\tsize:10;\tsigned:0;\n\
        \tfield:__data_loc char[] cmd;\toffset:44;\tsize:4;\tsigned:0;\n\
        \tfield:void * rq;\toffset:48;\tsize:8;\tsigned:0;\n";

    fn field(name: &str, kind: ValueKind, size: u32, array: bool) -> RecordField {
        RecordField {
            name: name.into(),
            kind,
            size,
            array,
        }
    }

    fn record() -> TracepointRecord {
        TracepointRecord {
            category: "block".into(),
            event: "block_rq_complete".into(),
            fields: vec![
                field("dev", ValueKind::Int, 4, false),
                field("sector", ValueKind::Int, 8, false),
                field("error", ValueKind::Int, 4, false),
                field("rwbs", ValueKind::Int, 1, true),
                field("data_loc_cmd", ValueKind::Int, 4, false),
                field("rq", ValueKind::Pointer, 8, false),
                field("ioprio", ValueKind::Int, 2, false),
            ],
        }
    }

    #[test]
    fn counts_the_kernels_types() {
        let raw = tiny_base();
        let base = parse_base(&raw).expect("valid");
        assert_eq!(base.count, 2);
        assert_eq!(parse_base(&raw[..30]).err(), Some(BtfError::Truncated));
        assert_eq!(parse_base(b"nope").err(), Some(BtfError::Header));
    }

    #[test]
    fn appended_struct_has_this_kernels_offsets_and_libbpf_reads_it() {
        let rec = record();
        let ext = extend(&tiny_base(), &[(&rec, parse_format(FORMAT))]).expect("extends");
        assert_eq!(ext.missing, [vec!["ioprio".to_owned()]]);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("btf");
        std::fs::write(&path, &ext.btf).expect("write");
        let btf = Btf::from_path(&path).expect("libbpf parses the extended BTF");
        let pair: types::Struct<'_> = btf.type_by_name("pair").expect("base types stay");
        assert_eq!(pair.iter().count(), 2);
        let st: types::Struct<'_> = btf
            .type_by_name("tracepoint__block__block_rq_complete")
            .expect("record struct");
        let members: Vec<(String, u32, BtfKind)> = st
            .iter()
            .map(|m| {
                let ty: BtfType<'_> = btf.type_by_id(m.ty).expect("member type");
                let off = match m.attr {
                    types::MemberAttr::Normal { offset }
                    | types::MemberAttr::BitField { offset, .. } => offset,
                };
                (
                    m.name.expect("named").to_string_lossy().into_owned(),
                    off / 8,
                    ty.kind(),
                )
            })
            .collect();
        let want = [
            ("dev", 8, BtfKind::Int),
            ("sector", 16, BtfKind::Int),
            ("error", 28, BtfKind::Int),
            ("rwbs", 34, BtfKind::Array),
            ("data_loc_cmd", 44, BtfKind::Int),
            ("rq", 48, BtfKind::Ptr),
        ];
        let got: Vec<(&str, u32, BtfKind)> = members
            .iter()
            .map(|(n, o, k)| (n.as_str(), *o, *k))
            .collect();
        assert_eq!(got, want);
        let rwbs: types::Array<'_> = btf
            .type_by_id(st.iter().nth(3).expect("rwbs").ty)
            .expect("array");
        assert_eq!(rwbs.capacity(), 10);
        let sector: types::Int<'_> = btf
            .type_by_id(st.iter().nth(1).expect("sector").ty)
            .expect("int");
        assert_eq!(sector.bits, 64);
    }

    #[test]
    fn integers_keep_their_compiled_width_in_wider_slots() {
        let rec = TracepointRecord {
            category: "syscalls".into(),
            event: "sys_enter_openat".into(),
            fields: vec![
                field("mode", ValueKind::Int, 2, false),
                field("flags", ValueKind::Int, 8, false),
            ],
        };
        let format = parse_format(
            "\tfield:umode_t mode;\toffset:32;\tsize:8;\tsigned:0;\n\
             \tfield:int flags;\toffset:24;\tsize:4;\tsigned:1;\n",
        );
        let ext = extend(&tiny_base(), &[(&rec, format)]).expect("extends");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("btf");
        std::fs::write(&path, &ext.btf).expect("write");
        let btf = Btf::from_path(&path).expect("parses");
        let st: types::Struct<'_> = btf.type_by_name(&rec.struct_name()).expect("record");
        let bits: Vec<u8> = st
            .iter()
            .map(|m| {
                let int: types::Int<'_> = btf.type_by_id(m.ty).expect("int");
                int.bits
            })
            .collect();
        // mode: BCC's 2-byte umode_t in an 8-byte slot; flags: a narrower slot, as it is.
        assert_eq!(bits, [16, 32]);
    }

    #[test]
    fn kinds_that_cannot_take_the_kernels_size_count_as_missing() {
        let rec = TracepointRecord {
            category: "c".into(),
            event: "e".into(),
            fields: vec![
                field("x", ValueKind::Int, 3, false),
                field("y", ValueKind::Enum, 4, false),
            ],
        };
        let format = parse_format(
            "\tfield:char x[3];\toffset:8;\tsize:3;\tsigned:0;\n\tfield:int y;\toffset:12;\tsize:4;\tsigned:1;\n",
        );
        let ext = extend(&tiny_base(), &[(&rec, format)]).expect("extends");
        assert_eq!(ext.missing, [vec!["x".to_owned()]]);
    }
}
