//! C types as libclang sees them.

use std::ffi::c_void;
use std::marker::PhantomData;

use clang_sys as sys;

use super::{Cursor, TranslationUnit, cx_string};

/// The type kinds bccc distinguishes; everything else is [`TypeKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// No type (invalid).
    Invalid,
    /// `void`.
    Void,
    /// `_Bool`.
    Bool,
    /// Any signed integer or plain `char`.
    SignedInt,
    /// Any unsigned integer.
    UnsignedInt,
    /// `int` exactly.
    Int,
    /// Floating point.
    Float,
    /// Pointer.
    Pointer,
    /// A struct or union (`Record`).
    Record,
    /// An enum.
    Enum,
    /// A typedef name.
    Typedef,
    /// `struct x` / `u32` as written (clang's elaborated sugar).
    Elaborated,
    /// `T[N]`.
    ConstantArray,
    /// `T[]`.
    IncompleteArray,
    /// A function prototype.
    FunctionProto,
    /// Any other kind (raw libclang value).
    Other(i32),
}

impl TypeKind {
    fn from_raw(k: sys::CXTypeKind) -> TypeKind {
        match k {
            sys::CXType_Invalid => TypeKind::Invalid,
            sys::CXType_Void => TypeKind::Void,
            sys::CXType_Bool => TypeKind::Bool,
            sys::CXType_Int => TypeKind::Int,
            sys::CXType_Char_S
            | sys::CXType_SChar
            | sys::CXType_Short
            | sys::CXType_Long
            | sys::CXType_LongLong
            | sys::CXType_Int128 => TypeKind::SignedInt,
            sys::CXType_Char_U
            | sys::CXType_UChar
            | sys::CXType_UShort
            | sys::CXType_UInt
            | sys::CXType_ULong
            | sys::CXType_ULongLong
            | sys::CXType_UInt128 => TypeKind::UnsignedInt,
            sys::CXType_Float | sys::CXType_Double | sys::CXType_LongDouble => TypeKind::Float,
            sys::CXType_Pointer => TypeKind::Pointer,
            sys::CXType_Record => TypeKind::Record,
            sys::CXType_Enum => TypeKind::Enum,
            sys::CXType_Typedef => TypeKind::Typedef,
            sys::CXType_Elaborated => TypeKind::Elaborated,
            sys::CXType_ConstantArray => TypeKind::ConstantArray,
            sys::CXType_IncompleteArray => TypeKind::IncompleteArray,
            sys::CXType_FunctionProto => TypeKind::FunctionProto,
            other => TypeKind::Other(other),
        }
    }

    /// Whether values of this kind are integers (`int` included).
    #[must_use]
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            TypeKind::Int | TypeKind::SignedInt | TypeKind::UnsignedInt | TypeKind::Bool
        )
    }
}

/// A C type of a translation unit; cannot outlive it.
#[derive(Clone, Copy)]
pub struct Type<'tu> {
    raw: sys::CXType,
    _tu: PhantomData<&'tu TranslationUnit<'tu>>,
}

impl std::fmt::Debug for Type<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Type({:?} `{}`)", self.kind(), self.spelling())
    }
}

type FieldFn<'a, 'tu> = dyn FnMut(Cursor<'tu>) + 'a;

extern "C" fn field_trampoline(c: sys::CXCursor, data: sys::CXClientData) -> sys::CXVisitorResult {
    // SAFETY: `data` is the `&mut &mut FieldFn` passed by `Type::fields`, alive during the call.
    let f = unsafe { &mut *data.cast::<&mut FieldFn<'_, '_>>() };
    f(Cursor::from_raw(c));
    sys::CXVisit_Continue
}

impl<'tu> Type<'tu> {
    pub(crate) fn from_raw(raw: sys::CXType) -> Type<'tu> {
        Type {
            raw,
            _tu: PhantomData,
        }
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> TypeKind {
        TypeKind::from_raw(self.raw.kind)
    }

    /// The C spelling (`struct key_t`, `u32`, `const char *`).
    #[must_use]
    pub fn spelling(&self) -> String {
        // SAFETY: plain value of a live TU.
        cx_string(unsafe { sys::clang_getTypeSpelling(self.raw) })
    }

    /// `sizeof`, if the type is complete.
    #[must_use]
    pub fn size(&self) -> Option<u64> {
        // SAFETY: plain value of a live TU.
        let n = unsafe { sys::clang_Type_getSizeOf(self.raw) };
        u64::try_from(n).ok()
    }

    /// The type with typedefs and sugar removed.
    #[must_use]
    pub fn canonical(&self) -> Type<'tu> {
        // SAFETY: plain value of a live TU.
        Type::from_raw(unsafe { sys::clang_getCanonicalType(self.raw) })
    }

    /// What a pointer points to.
    #[must_use]
    pub fn pointee(&self) -> Option<Type<'tu>> {
        // SAFETY: plain value of a live TU.
        let t = Type::from_raw(unsafe { sys::clang_getPointeeType(self.raw) });
        (t.kind() != TypeKind::Invalid).then_some(t)
    }

    /// The element count of a constant array.
    #[must_use]
    pub fn array_size(&self) -> Option<u64> {
        // SAFETY: plain value of a live TU.
        let n = unsafe { sys::clang_getArraySize(self.raw) };
        u64::try_from(n).ok()
    }

    /// The element type of an array.
    #[must_use]
    pub fn element(&self) -> Option<Type<'tu>> {
        // SAFETY: plain value of a live TU.
        let t = Type::from_raw(unsafe { sys::clang_getArrayElementType(self.raw) });
        (t.kind() != TypeKind::Invalid).then_some(t)
    }

    /// Whether the type is `const`-qualified.
    #[must_use]
    pub fn is_const(&self) -> bool {
        // SAFETY: plain value.
        unsafe { sys::clang_isConstQualifiedType(self.raw) != 0 }
    }

    /// Whether the type is `volatile`-qualified.
    #[must_use]
    pub fn is_volatile(&self) -> bool {
        // SAFETY: plain value.
        unsafe { sys::clang_isVolatileQualifiedType(self.raw) != 0 }
    }

    /// The declaration of a record, enum or typedef type.
    #[must_use]
    pub fn declaration(&self) -> Option<Cursor<'tu>> {
        // SAFETY: plain value of a live TU.
        let c = Cursor::from_raw(unsafe { sys::clang_getTypeDeclaration(self.raw) });
        (!c.is_null()).then_some(c)
    }

    /// The fields of a record type, in order.
    #[must_use]
    pub fn fields(&self) -> Vec<Cursor<'tu>> {
        let mut out = Vec::new();
        let mut push = |c: Cursor<'tu>| out.push(c);
        let mut dyn_f: &mut FieldFn<'_, 'tu> = &mut push;
        let data: *mut &mut FieldFn<'_, 'tu> = &raw mut dyn_f;
        // SAFETY: the trampoline casts `data` back to the same type; `dyn_f` outlives the call.
        unsafe { sys::clang_Type_visitFields(self.raw, field_trampoline, data.cast::<c_void>()) };
        out
    }
}
