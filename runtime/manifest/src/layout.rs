//! Memory layouts of map keys, map values and events, decoded from the object's BTF at build
//! time so the runtime needs no BTF parser to print them.

use serde::{Deserialize, Serialize};

/// The layout of one C type as the BPF program sees it (BPF target ABI, little endian on x86).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Type {
    /// An integer of 1, 2, 4, 8 or 16 bytes. `char` is true for C `char` (printed as text in arrays).
    Int {
        /// Size in bytes.
        size: u32,
        /// Whether the integer is signed.
        signed: bool,
        /// Whether this is C `char` (arrays of it are strings).
        char: bool,
    },
    /// C `_Bool`.
    Bool,
    /// A floating point number (printed, never computed with).
    Float {
        /// Size in bytes.
        size: u32,
    },
    /// Any pointer: printed as a hexadecimal address.
    Pointer,
    /// An enum, printed by variant name when a variant matches.
    Enum {
        /// The enum's tag, if it has one.
        name: Option<String>,
        /// Size in bytes.
        size: u32,
        /// Whether values are signed.
        signed: bool,
        /// The named values.
        variants: Vec<EnumVariant>,
    },
    /// A fixed-size array.
    Array {
        /// The element type.
        elem: Box<Type>,
        /// Number of elements.
        len: u32,
    },
    /// A struct or union.
    Struct {
        /// The tag or typedef name, if any.
        name: Option<String>,
        /// Total size in bytes.
        size: u32,
        /// Whether this is a union (all fields at offset 0).
        union: bool,
        /// Members in declaration order.
        fields: Vec<Field>,
    },
}

/// One member of a struct or union.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Member name; anonymous members get an empty name.
    pub name: String,
    /// Offset from the start of the enclosing struct, in bits.
    pub bit_offset: u32,
    /// Bitfield width in bits, or `None` for an ordinary member.
    pub bit_size: Option<u32>,
    /// The member's type.
    pub ty: Type,
}

/// A named enum value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumVariant {
    /// The enumerator's name.
    pub name: String,
    /// Its value (sign-extended when the enum is signed).
    pub value: i64,
}

impl Type {
    /// Size of a value of this type in bytes (pointers are 8 bytes on every BPF target).
    #[must_use]
    pub fn size(&self) -> u32 {
        match self {
            Type::Int { size, .. }
            | Type::Float { size }
            | Type::Enum { size, .. }
            | Type::Struct { size, .. } => *size,
            Type::Bool => 1,
            Type::Pointer => 8,
            Type::Array { elem, len } => elem.size() * len,
        }
    }

    /// Whether this is an array of C `char`, which the runtime prints as a string.
    #[must_use]
    pub fn is_char_array(&self) -> bool {
        matches!(self, Type::Array { elem, .. } if matches!(**elem, Type::Int { char: true, .. }))
    }
}
