//! Columns: a manifest [`Type`] flattened into named leaf columns (`outer.inner`), their widths,
//! and the header and row text of event lines. Pure: no syscalls.

use std::fmt::Write as _;

use bccc_manifest::{Field, Type};

use crate::value::{self, Value};

/// One printed column: a leaf member of a (possibly nested) struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// `field` or `outer.inner` for nested structs.
    pub name: String,
    /// The leaf member, with `bit_offset` relative to the start of the whole record.
    pub field: Field,
    /// Minimum width from the type (and the header), before data widens it.
    pub width: usize,
}

/// Flattens `ty` into columns. A non-struct type is one column named `scalar_name`.
#[must_use]
pub fn columns(ty: &Type, scalar_name: &str) -> Vec<Column> {
    let mut out = Vec::new();
    if let Type::Struct { fields, .. } = ty {
        flatten(fields, "", 0, &mut out);
    } else {
        let field = Field {
            name: scalar_name.to_owned(),
            bit_offset: 0,
            bit_size: None,
            ty: ty.clone(),
        };
        out.push(leaf(scalar_name.to_owned(), field));
    }
    out
}

fn flatten(fields: &[Field], prefix: &str, base_bits: u32, out: &mut Vec<Column>) {
    for f in fields {
        // Anonymous members (unnamed unions/structs) contribute their members unprefixed, as C
        // lets the program name them.
        let name = if f.name.is_empty() {
            prefix.trim_end_matches('.').to_owned()
        } else {
            format!("{prefix}{}", f.name)
        };
        let bit_offset = base_bits + f.bit_offset;
        match &f.ty {
            Type::Struct { fields: inner, .. } if f.bit_size.is_none() => {
                let inner_prefix = if name.is_empty() {
                    String::new()
                } else {
                    format!("{name}.")
                };
                flatten(inner, &inner_prefix, bit_offset, out);
            }
            _ => out.push(leaf(
                name,
                Field {
                    bit_offset,
                    ..f.clone()
                },
            )),
        }
    }
}

fn leaf(name: String, field: Field) -> Column {
    let width = type_width(&field.ty).max(name.len());
    Column { name, field, width }
}

/// A column's natural width: wide enough for typical values (pids, counts, comm), so columns
/// line up; wider values widen their cell and are never truncated.
fn type_width(ty: &Type) -> usize {
    match ty {
        Type::Int {
            size: 1, signed, ..
        } => 3 + usize::from(*signed),
        Type::Int {
            size: 2, signed, ..
        } => 5 + usize::from(*signed),
        Type::Int { size: 4, .. } => 7,
        Type::Int { size: 8, .. } => 12,
        Type::Int { .. } => 20,
        Type::Bool => 5,
        Type::Float { .. } => 10,
        Type::Pointer => 18,
        Type::Enum { variants, .. } => variants.iter().map(|v| v.name.len()).max().unwrap_or(4),
        Type::Array { len, .. } if ty.is_char_array() => (*len as usize).clamp(4, 32),
        Type::Array { .. } | Type::Struct { .. } => 0,
    }
}

impl Column {
    /// This column's value in `record`.
    #[must_use]
    pub fn value(&self, record: &[u8]) -> Value {
        value::decode_field(&self.field, record)
    }
}

/// Joins cells left-aligned to `widths` with one space; the last cell is not padded.
fn join(cells: impl Iterator<Item = (String, usize)>) -> String {
    let cells: Vec<(String, usize)> = cells.collect();
    let last = cells.len().saturating_sub(1);
    let mut line = String::new();
    for (i, (text, width)) in cells.into_iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        if i == last {
            line.push_str(&text);
        } else {
            let _ = write!(line, "{text:<width$}");
        }
    }
    line
}

/// The header of an event stream: column names upper-cased.
#[must_use]
pub fn header(cols: &[Column]) -> String {
    join(cols.iter().map(|c| (c.name.to_ascii_uppercase(), c.width)))
}

/// One event as one line.
#[must_use]
pub fn row(cols: &[Column], record: &[u8]) -> String {
    join(cols.iter().map(|c| (c.value(record).text(), c.width)))
}

/// One event as one JSON object (nested structs stay nested).
#[must_use]
pub fn json_row(ty: &Type, scalar_name: &str, record: &[u8]) -> String {
    match value::decode(ty, record) {
        v @ Value::Struct(_) => v.json(),
        v => value::json_object(std::iter::once((scalar_name, v.json()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::tests::{chars, field, int, strukt};

    fn open_event() -> Type {
        strukt(
            84,
            vec![
                field("pid", 0, int(4, false)),
                field("comm", 4, chars(16)),
                field("filename", 20, chars(64)),
            ],
        )
    }

    fn record(pid: u32, comm: &str, file: &str) -> Vec<u8> {
        let mut r = pid.to_le_bytes().to_vec();
        let mut c = comm.as_bytes().to_vec();
        c.resize(16, 0);
        let mut f = file.as_bytes().to_vec();
        f.resize(64, 0);
        r.extend(c);
        r.extend(f);
        r
    }

    #[test]
    fn event_header_and_rows_line_up() {
        let cols = columns(&open_event(), "VALUE");
        assert_eq!(header(&cols), "PID     COMM             FILENAME");
        assert_eq!(
            row(&cols, &record(4242, "cat", "/etc/passwd")),
            "4242    cat              /etc/passwd"
        );
        assert_eq!(
            json_row(&open_event(), "value", &record(1, "sh", "/x")),
            r#"{"pid":1,"comm":"sh","filename":"/x"}"#
        );
    }

    #[test]
    fn nested_structs_flatten_with_dotted_names() {
        let inner = strukt(
            8,
            vec![field("x", 0, int(4, false)), field("y", 4, int(4, false))],
        );
        let outer = strukt(
            12,
            vec![field("id", 0, int(4, false)), field("pt", 4, inner)],
        );
        let cols = columns(&outer, "VALUE");
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "pt.x", "pt.y"]);
        let mut bytes = Vec::new();
        for v in [9u32, 3, 4] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(row(&cols, &bytes), "9       3       4");
        assert_eq!(header(&columns(&int(8, false), "KEY")), "KEY");
    }
}
