//! Decoding: raw bytes of a map key, map value or event + its manifest [`Type`] → [`Value`],
//! and the text and JSON each value prints as. Pure: no syscalls.
//!
//! Layouts are the BPF target's (little endian on every target bccc supports). Bytes missing at
//! the end of a short record read as zero, so a malformed record prints zeros instead of
//! aborting the tool.

use bccc_manifest::{Field, Type};

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A signed integer (also a single signed `char`).
    Int(i128),
    /// An unsigned integer.
    Uint(u128),
    /// `_Bool`.
    Bool(bool),
    /// `float` / `double`.
    Float(f64),
    /// Any pointer, printed in hexadecimal.
    Pointer(u64),
    /// An enum: the variant's name when one matches.
    Enum {
        /// The matching variant's name.
        name: Option<String>,
        /// The raw value.
        value: i128,
    },
    /// A `char` array, up to its first NUL.
    Str(String),
    /// Any other array.
    Array(Vec<Value>),
    /// A struct or union, members in declaration order.
    Struct(Vec<(String, Value)>),
}

/// Reads `size` little-endian bytes at `bytes[0..]`, zero-extending past the end.
fn read_le(bytes: &[u8], size: u32) -> u128 {
    let size = (size as usize).min(16);
    bytes
        .iter()
        .take(size)
        .enumerate()
        .fold(0u128, |acc, (i, b)| acc | (u128::from(*b) << (8 * i)))
}

fn sign_extend(raw: u128, bits: u32) -> i128 {
    if bits == 0 || bits >= 128 {
        return raw as i128;
    }
    let shift = 128 - bits;
    ((raw << shift) as i128) >> shift
}

fn slice_from(bytes: &[u8], offset: usize) -> &[u8] {
    bytes.get(offset..).unwrap_or(&[])
}

/// Decodes a value of type `ty` stored at the start of `bytes`.
#[must_use]
pub fn decode(ty: &Type, bytes: &[u8]) -> Value {
    match ty {
        Type::Int { size, signed, .. } => int_value(read_le(bytes, *size), *size * 8, *signed),
        Type::Bool => Value::Bool(bytes.first().is_some_and(|b| *b != 0)),
        Type::Float { size } => {
            let raw = read_le(bytes, (*size).min(8));
            Value::Float(if *size == 4 {
                f64::from(f32::from_bits(raw as u32))
            } else {
                f64::from_bits(raw as u64)
            })
        }
        Type::Pointer => Value::Pointer(read_le(bytes, 8) as u64),
        Type::Enum {
            size,
            signed,
            variants,
            ..
        } => enum_value(read_le(bytes, *size), size * 8, *signed, variants),
        Type::Array { elem, len } => {
            if ty.is_char_array() {
                let max = (*len as usize).min(bytes.len());
                let text = &bytes[..max];
                let end = text.iter().position(|b| *b == 0).unwrap_or(text.len());
                return Value::Str(String::from_utf8_lossy(&text[..end]).into_owned());
            }
            let step = elem.size() as usize;
            Value::Array(
                (0..*len as usize)
                    .map(|i| decode(elem, slice_from(bytes, i * step)))
                    .collect(),
            )
        }
        Type::Struct { fields, .. } => Value::Struct(
            fields
                .iter()
                .map(|f| (f.name.clone(), decode_field(f, bytes)))
                .collect(),
        ),
    }
}

fn int_value(raw: u128, bits: u32, signed: bool) -> Value {
    if signed {
        Value::Int(sign_extend(raw, bits))
    } else {
        Value::Uint(raw)
    }
}

/// Decodes member `field` of the struct whose bytes start at `record[0]`, bitfields included.
#[must_use]
pub fn decode_field(field: &Field, record: &[u8]) -> Value {
    match field.bit_size {
        Some(bits) if bits > 0 => {
            let first = (field.bit_offset / 8) as usize;
            let shift = field.bit_offset % 8;
            let raw = read_le(slice_from(record, first), (shift + bits).div_ceil(8)) >> shift;
            let raw = if bits >= 128 {
                raw
            } else {
                raw & ((1u128 << bits) - 1)
            };
            let signed = matches!(
                field.ty,
                Type::Int { signed: true, .. } | Type::Enum { signed: true, .. }
            );
            match &field.ty {
                Type::Bool => Value::Bool(raw != 0),
                Type::Enum { variants, .. } => enum_value(raw, bits, signed, variants),
                _ => int_value(raw, bits, signed),
            }
        }
        _ => decode(
            &field.ty,
            slice_from(record, (field.bit_offset / 8) as usize),
        ),
    }
}

/// Reads an unsigned count (histogram slot values, table counts): integers of up to 16 bytes;
/// for a struct, its first member.
#[must_use]
pub fn as_count(ty: &Type, bytes: &[u8]) -> u128 {
    match decode(ty, bytes) {
        Value::Uint(v) => v,
        Value::Int(v) => v.max(0) as u128,
        Value::Struct(members) => match members.into_iter().next() {
            Some((_, Value::Uint(v))) => v,
            Some((_, Value::Int(v))) => v.max(0) as u128,
            _ => 0,
        },
        _ => 0,
    }
}

impl Value {
    /// The text a column shows: decimal integers, `true`/`false`, hexadecimal pointers, enum
    /// variant names, `char` arrays as text, other arrays as `[a,b]`, structs as `{a=1,b=2}`.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Uint(v) => v.to_string(),
            Value::Bool(b) => b.to_string(),
            // serde_json's shortest round-trip formatter: core's float formatting would add
            // ~25 KB to every tool for a type BPF programs rarely use.
            Value::Float(f) if f.is_finite() => serde_json::Value::from(*f).to_string(),
            Value::Float(f) => if f.is_nan() {
                "nan"
            } else if *f > 0.0 {
                "inf"
            } else {
                "-inf"
            }
            .to_owned(),
            Value::Pointer(p) => format!("0x{p:x}"),
            Value::Enum { name: Some(n), .. } => n.clone(),
            Value::Enum { name: None, value } => value.to_string(),
            Value::Str(s) => s.clone(),
            Value::Array(items) => {
                format!(
                    "[{}]",
                    items.iter().map(Value::text).collect::<Vec<_>>().join(",")
                )
            }
            Value::Struct(members) => {
                let inner: Vec<String> = members
                    .iter()
                    .map(|(n, v)| format!("{n}={}", v.text()))
                    .collect();
                format!("{{{}}}", inner.join(","))
            }
        }
    }

    /// The JSON text: numbers as numbers (integers wider than 64 bits as strings), pointers as
    /// `"0x..."` strings, enums by name, structs as objects with members in declaration order.
    #[must_use]
    pub fn json(&self) -> String {
        match self {
            Value::Int(v) if i64::try_from(*v).is_ok() => v.to_string(),
            Value::Uint(v) if u64::try_from(*v).is_ok() => v.to_string(),
            Value::Enum { name: None, value } => value.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Float(f) if f.is_finite() => serde_json::Value::from(*f).to_string(),
            Value::Float(_) => "null".to_owned(),
            Value::Array(items) => {
                format!(
                    "[{}]",
                    items.iter().map(Value::json).collect::<Vec<_>>().join(",")
                )
            }
            Value::Struct(members) => {
                json_object(members.iter().map(|(n, v)| (n.as_str(), v.json())))
            }
            _ => json_string(&self.text()),
        }
    }

    /// Whether the value is a number, so tables right-align it.
    #[must_use]
    pub fn is_numeric(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Uint(_) | Value::Float(_))
    }

    /// A total order for sorting rows and sections: numbers numerically, everything else by text.
    #[must_use]
    pub fn sort_key(&self) -> SortKey {
        match self {
            Value::Int(v) => SortKey::Num(*v),
            Value::Uint(v) => SortKey::Num(i128::try_from(*v).unwrap_or(i128::MAX)),
            Value::Bool(b) => SortKey::Num(i128::from(*b)),
            Value::Pointer(p) => SortKey::Num(i128::from(*p)),
            Value::Enum { value, .. } => SortKey::Num(*value),
            _ => SortKey::Text(self.text()),
        }
    }
}

/// A JSON string literal.
#[must_use]
pub fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// A JSON object from (key, JSON text) pairs, in the given order.
#[must_use]
pub fn json_object<K: AsRef<str>>(members: impl Iterator<Item = (K, String)>) -> String {
    let inner: Vec<String> = members
        .map(|(k, v)| format!("{}:{v}", json_string(k.as_ref())))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// See [`Value::sort_key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// Numbers sort before text and among themselves numerically.
    Num(i128),
    /// Text sorts bytewise.
    Text(String),
}

/// Adds the integers of `other` into `acc`, member by member (both laid out as `ty`): how
/// per-CPU values are folded into one. Non-integers keep `acc`'s bytes.
pub fn add_into(ty: &Type, acc: &mut [u8], other: &[u8]) {
    match ty {
        Type::Int { size, .. } if *size <= 16 && acc.len() >= *size as usize => {
            let sum = read_le(acc, *size).wrapping_add(read_le(other, *size));
            for (i, b) in acc.iter_mut().take(*size as usize).enumerate() {
                *b = (sum >> (8 * i)) as u8;
            }
        }
        Type::Array { elem, len } if !ty.is_char_array() => {
            let step = elem.size() as usize;
            for i in 0..*len as usize {
                let (start, end) = (i * step, (i + 1) * step);
                if let (Some(a), Some(o)) = (acc.get_mut(start..end), other.get(start..end)) {
                    add_into(elem, a, o);
                }
            }
        }
        Type::Struct {
            fields,
            union: false,
            ..
        } => {
            for f in fields.iter().filter(|f| f.bit_size.is_none_or(|b| b == 0)) {
                let start = (f.bit_offset / 8) as usize;
                let end = start + f.ty.size() as usize;
                if let (Some(a), Some(o)) = (acc.get_mut(start..end), other.get(start..end)) {
                    add_into(&f.ty, a, o);
                }
            }
        }
        _ => {}
    }
}

/// An enum's value (sign-extended from `bits` when signed) and the name of the variant it
/// matches, if any.
fn enum_value(
    raw: u128,
    bits: u32,
    signed: bool,
    variants: &[bccc_manifest::EnumVariant],
) -> Value {
    let value = if signed {
        sign_extend(raw, bits)
    } else {
        raw as i128
    };
    let name = variants
        .iter()
        .find(|v| i128::from(v.value) == value)
        .map(|v| v.name.clone());
    Value::Enum { name, value }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bccc_manifest::EnumVariant;

    pub(crate) fn int(size: u32, signed: bool) -> Type {
        Type::Int {
            size,
            signed,
            char: false,
        }
    }

    pub(crate) fn chars(len: u32) -> Type {
        Type::Array {
            elem: Box::new(Type::Int {
                size: 1,
                signed: true,
                char: true,
            }),
            len,
        }
    }

    pub(crate) fn field(name: &str, byte_offset: u32, ty: Type) -> Field {
        Field {
            name: name.into(),
            bit_offset: byte_offset * 8,
            bit_size: None,
            ty,
        }
    }

    pub(crate) fn strukt(size: u32, fields: Vec<Field>) -> Type {
        Type::Struct {
            name: None,
            size,
            union: false,
            fields,
        }
    }

    #[test]
    fn integers_strings_pointers_and_enums() {
        assert_eq!(
            decode(&int(4, true), &(-5i32).to_le_bytes()),
            Value::Int(-5)
        );
        assert_eq!(
            decode(&int(8, false), &u64::MAX.to_le_bytes()).text(),
            "18446744073709551615"
        );
        assert_eq!(decode(&chars(8), b"bash\0xyz").text(), "bash");
        assert_eq!(decode(&chars(4), b"abcd").text(), "abcd");
        assert_eq!(
            decode(&Type::Pointer, &0xffff_8000_dead_beefu64.to_le_bytes()).text(),
            "0xffff8000deadbeef"
        );
        let e = Type::Enum {
            name: None,
            size: 4,
            signed: false,
            variants: vec![EnumVariant {
                name: "RUNNING".into(),
                value: 1,
            }],
        };
        assert_eq!(decode(&e, &1u32.to_le_bytes()).text(), "RUNNING");
        assert_eq!(decode(&e, &7u32.to_le_bytes()).text(), "7");
        assert_eq!(decode(&Type::Bool, &[1]).text(), "true");
        let arr = Type::Array {
            elem: Box::new(int(2, false)),
            len: 3,
        };
        assert_eq!(decode(&arr, &[1, 0, 2, 0, 3, 0]).text(), "[1,2,3]");
    }

    #[test]
    fn short_records_read_as_zero_and_bitfields_extract() {
        assert_eq!(decode(&int(8, false), &[1]), Value::Uint(1));
        let bf = Field {
            name: "b".into(),
            bit_offset: 3,
            bit_size: Some(4),
            ty: int(4, true),
        };
        // bits 3..7 of 0b0111_1000 = 0b1111 = -1 as a signed 4-bit field.
        assert_eq!(decode_field(&bf, &[0b0111_1000]), Value::Int(-1));
    }

    #[test]
    fn nested_structs_json_and_percpu_sums() {
        let inner = strukt(
            8,
            vec![field("x", 0, int(4, false)), field("y", 4, int(4, false))],
        );
        let outer = strukt(
            12,
            vec![field("pid", 0, int(4, false)), field("pt", 4, inner)],
        );
        let mut bytes = Vec::new();
        for v in [7u32, 1, 2] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let v = decode(&outer, &bytes);
        assert_eq!(v.json(), r#"{"pid":7,"pt":{"x":1,"y":2}}"#);
        let mut acc = bytes.clone();
        add_into(&outer, &mut acc, &bytes);
        assert_eq!(
            decode(&outer, &acc).json(),
            r#"{"pid":14,"pt":{"x":2,"y":4}}"#
        );
        assert_eq!(as_count(&outer, &acc), 14);
    }
}
