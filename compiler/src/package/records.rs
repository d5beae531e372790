//! The object's BTF + the program's tracepoints → the manifest's [`TracepointRecord`]s: which
//! fields each compiled `struct tracepoint__<cat>__<ev>` declares and what each holds, so the
//! runtime can describe the struct with the target kernel's offsets in types CO-RE accepts as
//! compatible with the compiled ones (spec C.3).

use bccc_manifest::{RecordField, TracepointRecord, Type, ValueKind};

use super::layout::{LayoutError, ObjectBtf};
use crate::parse::TracepointFormat;

/// What a value of `ty` is, as CO-RE compares field types.
fn value_kind(ty: &Type) -> ValueKind {
    match ty {
        Type::Int { .. } | Type::Bool | Type::Float { .. } => ValueKind::Int,
        Type::Enum { .. } => ValueKind::Enum,
        Type::Pointer => ValueKind::Pointer,
        Type::Struct { .. } | Type::Array { .. } => ValueKind::Aggregate,
    }
}

fn record_field(name: String, ty: &Type) -> RecordField {
    match ty {
        Type::Array { elem, .. } => RecordField {
            name,
            kind: value_kind(elem),
            size: elem.size(),
            array: true,
        },
        _ => RecordField {
            name,
            kind: value_kind(ty),
            size: ty.size(),
            array: false,
        },
    }
}

/// One record per tracepoint struct the object's BTF has (a struct nothing uses is not emitted
/// by clang and needs nothing at load time). BCC's padding members are left out: the target's
/// format file has no such fields.
pub(super) fn records(
    btf: &ObjectBtf,
    tracepoints: &[TracepointFormat],
) -> Result<Vec<TracepointRecord>, LayoutError> {
    let mut out = Vec::new();
    for tp in tracepoints {
        let Some(Type::Struct { fields, .. }) = btf.by_name(&tp.struct_name())? else {
            continue;
        };
        let fields = tp
            .fields
            .iter()
            .filter_map(|f| {
                let name = f.bcc_name();
                let member = fields.iter().find(|m| m.name == name)?;
                Some(record_field(name, &member.ty))
            })
            .collect();
        out.push(TracepointRecord {
            category: tp.category.clone(),
            event: tp.event.clone(),
            fields,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_describe_their_elements() {
        let char_t = Type::Int {
            size: 1,
            signed: true,
            char: true,
        };
        let f = record_field(
            "comm".into(),
            &Type::Array {
                elem: Box::new(char_t),
                len: 16,
            },
        );
        assert_eq!((f.kind, f.size, f.array), (ValueKind::Int, 1, true));
        let p = record_field(
            "caller".into(),
            &Type::Array {
                elem: Box::new(Type::Pointer),
                len: 4,
            },
        );
        assert_eq!((p.kind, p.size, p.array), (ValueKind::Pointer, 8, true));
        let e = record_field(
            "state".into(),
            &Type::Enum {
                name: None,
                size: 4,
                signed: false,
                variants: Vec::new(),
            },
        );
        assert_eq!((e.kind, e.size, e.array), (ValueKind::Enum, 4, false));
        assert_eq!(record_field("b".into(), &Type::Bool).kind, ValueKind::Int);
    }
}
