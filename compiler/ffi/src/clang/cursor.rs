//! Cursors (AST nodes) and source locations.

use std::ffi::{CStr, c_uint, c_void};
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ptr;

use clang_sys as sys;

use super::{TranslationUnit, Type, cx_string};

/// The cursor kinds bccc looks at; everything else is [`CursorKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CursorKind {
    /// `struct` declaration.
    StructDecl,
    /// `union T { ... }` (or a forward declaration).
    UnionDecl,
    /// Field of a struct.
    FieldDecl,
    /// Function declaration or definition.
    FunctionDecl,
    /// Variable declaration.
    VarDecl,
    /// Function parameter.
    ParmDecl,
    /// `typedef`.
    TypedefDecl,
    /// Reference to a type name.
    TypeRef,
    /// Expression clang does not expose (implicit casts, ...).
    UnexposedExpr,
    /// Reference to a declaration (`x`).
    DeclRefExpr,
    /// Member access (`a.b`, `a->b`).
    MemberRefExpr,
    /// Function call.
    CallExpr,
    /// Integer literal.
    IntegerLiteral,
    /// String literal.
    StringLiteral,
    /// `( e )`.
    ParenExpr,
    /// Unary operator (`&x`, `*p`, `-x`, `!x`).
    UnaryOperator,
    /// `a[i]`.
    ArraySubscriptExpr,
    /// Binary operator.
    BinaryOperator,
    /// Compound assignment (`+=`).
    CompoundAssignOperator,
    /// `c ? a : b`.
    ConditionalOperator,
    /// `(T)e`.
    CStyleCastExpr,
    /// `{ ... }` initializer.
    InitListExpr,
    /// `sizeof`, `alignof`.
    UnaryExpr,
    /// `({ ... })`.
    StmtExpr,
    /// `_Generic(e, T: a, default: b)`.
    GenericSelectionExpr,
    /// `{ ... }`.
    CompoundStmt,
    /// `return`.
    ReturnStmt,
    /// `case X:` (its first child is the label's constant expression).
    CaseStmt,
    /// Declaration statement.
    DeclStmt,
    /// The translation unit.
    TranslationUnit,
    /// `__attribute__((annotate("...")))`.
    AnnotateAttr,
    /// A macro expansion (with the detailed preprocessing record).
    MacroExpansion,
    /// A macro definition.
    MacroDefinition,
    /// An `#include`.
    InclusionDirective,
    /// Any other kind (raw libclang value).
    Other(i32),
}

impl CursorKind {
    fn from_raw(k: sys::CXCursorKind) -> CursorKind {
        match k {
            sys::CXCursor_StructDecl => CursorKind::StructDecl,
            sys::CXCursor_UnionDecl => CursorKind::UnionDecl,
            sys::CXCursor_FieldDecl => CursorKind::FieldDecl,
            sys::CXCursor_FunctionDecl => CursorKind::FunctionDecl,
            sys::CXCursor_VarDecl => CursorKind::VarDecl,
            sys::CXCursor_ParmDecl => CursorKind::ParmDecl,
            sys::CXCursor_TypedefDecl => CursorKind::TypedefDecl,
            sys::CXCursor_TypeRef => CursorKind::TypeRef,
            sys::CXCursor_UnexposedExpr => CursorKind::UnexposedExpr,
            sys::CXCursor_DeclRefExpr => CursorKind::DeclRefExpr,
            sys::CXCursor_MemberRefExpr => CursorKind::MemberRefExpr,
            sys::CXCursor_CallExpr => CursorKind::CallExpr,
            sys::CXCursor_IntegerLiteral => CursorKind::IntegerLiteral,
            sys::CXCursor_StringLiteral => CursorKind::StringLiteral,
            sys::CXCursor_ParenExpr => CursorKind::ParenExpr,
            sys::CXCursor_UnaryOperator => CursorKind::UnaryOperator,
            sys::CXCursor_ArraySubscriptExpr => CursorKind::ArraySubscriptExpr,
            sys::CXCursor_BinaryOperator => CursorKind::BinaryOperator,
            sys::CXCursor_CompoundAssignOperator => CursorKind::CompoundAssignOperator,
            sys::CXCursor_ConditionalOperator => CursorKind::ConditionalOperator,
            sys::CXCursor_CStyleCastExpr => CursorKind::CStyleCastExpr,
            sys::CXCursor_InitListExpr => CursorKind::InitListExpr,
            sys::CXCursor_UnaryExpr => CursorKind::UnaryExpr,
            sys::CXCursor_StmtExpr => CursorKind::StmtExpr,
            sys::CXCursor_GenericSelectionExpr => CursorKind::GenericSelectionExpr,
            sys::CXCursor_CompoundStmt => CursorKind::CompoundStmt,
            sys::CXCursor_ReturnStmt => CursorKind::ReturnStmt,
            sys::CXCursor_CaseStmt => CursorKind::CaseStmt,
            sys::CXCursor_DeclStmt => CursorKind::DeclStmt,
            sys::CXCursor_TranslationUnit => CursorKind::TranslationUnit,
            sys::CXCursor_AnnotateAttr => CursorKind::AnnotateAttr,
            sys::CXCursor_MacroExpansion => CursorKind::MacroExpansion,
            sys::CXCursor_MacroDefinition => CursorKind::MacroDefinition,
            sys::CXCursor_InclusionDirective => CursorKind::InclusionDirective,
            other => CursorKind::Other(other),
        }
    }
}

/// What a visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildVisit {
    /// Stop visiting.
    Break,
    /// Go on with the next sibling.
    Continue,
    /// Visit this cursor's children, then its siblings.
    Recurse,
}

/// A resolved position: the file, byte offset, line and column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileLocation {
    /// File name as clang knows it (`None` for built-in locations).
    pub file: Option<String>,
    /// Byte offset in that file.
    pub offset: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Whether the file is the translation unit's main file.
    pub in_main_file: bool,
}

impl FileLocation {
    fn read(
        loc: sys::CXSourceLocation,
        main: sys::CXFile,
        f: unsafe fn(
            sys::CXSourceLocation,
            *mut sys::CXFile,
            *mut c_uint,
            *mut c_uint,
            *mut c_uint,
        ),
    ) -> FileLocation {
        let mut file: sys::CXFile = ptr::null_mut();
        let (mut line, mut column, mut offset) = (0, 0, 0);
        // SAFETY: `loc` is a value copied from libclang; the out-pointers are valid locals.
        unsafe {
            f(
                loc,
                &raw mut file,
                &raw mut line,
                &raw mut column,
                &raw mut offset,
            );
        }
        let file_raw = file;
        let file = if file.is_null() {
            None
        } else {
            // SAFETY: `file` is a live CXFile of the TU that produced `loc`.
            Some(cx_string(unsafe { sys::clang_getFileName(file) }))
        };
        // clang_Location_isFromMainFile answers for the spelling of macro-expanded locations, so
        // compare the resolved file with the main file instead.
        let in_main_file = !file_raw.is_null() && file_raw == main;
        FileLocation {
            file,
            offset,
            line,
            column,
            in_main_file,
        }
    }

    /// Where the text was expanded (for macro-expanded code: the macro invocation).
    pub(crate) fn expansion(loc: sys::CXSourceLocation, main: sys::CXFile) -> FileLocation {
        Self::read(loc, main, sys::clang_getExpansionLocation)
    }

    /// Where the characters were spelled (for macro-expanded code: inside the macro or argument).
    pub(crate) fn spelling(loc: sys::CXSourceLocation, main: sys::CXFile) -> FileLocation {
        Self::read(loc, main, sys::clang_getSpellingLocation)
    }
}

/// The main file of a translation unit.
pub(crate) fn main_file(tu: sys::CXTranslationUnit) -> sys::CXFile {
    // SAFETY: `tu` is live (callers pass the TU of a live cursor or their own TU); the name is a
    // valid C string for the duration of clang_getFile.
    unsafe {
        let name = cx_string(sys::clang_getTranslationUnitSpelling(tu));
        let Ok(name) = std::ffi::CString::new(name) else {
            return ptr::null_mut();
        };
        sys::clang_getFile(tu, name.as_ptr())
    }
}

/// A constant clang evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalResult {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A floating-point value.
    Float(f64),
    /// A string literal.
    Str(String),
}

/// An AST node of a translation unit; cannot outlive it.
#[derive(Clone, Copy)]
pub struct Cursor<'tu> {
    raw: sys::CXCursor,
    _tu: PhantomData<&'tu TranslationUnit<'tu>>,
}

impl std::fmt::Debug for Cursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cursor({:?} `{}`)", self.kind(), self.spelling())
    }
}

impl PartialEq for Cursor<'_> {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: both cursors are plain values of live TUs.
        unsafe { sys::clang_equalCursors(self.raw, other.raw) != 0 }
    }
}

impl Eq for Cursor<'_> {}

impl Hash for Cursor<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // SAFETY: plain value of a live TU.
        unsafe { sys::clang_hashCursor(self.raw) }.hash(state);
    }
}

type VisitFn<'a, 'tu> = dyn FnMut(Cursor<'tu>, Cursor<'tu>) -> ChildVisit + 'a;

extern "C" fn visit_trampoline(
    c: sys::CXCursor,
    parent: sys::CXCursor,
    data: sys::CXClientData,
) -> sys::CXChildVisitResult {
    // SAFETY: `data` is the `&mut &mut VisitFn` that `Cursor::visit` passed and that outlives the
    // clang_visitChildren call making this callback.
    let f = unsafe { &mut *data.cast::<&mut VisitFn<'_, '_>>() };
    match f(Cursor::from_raw(c), Cursor::from_raw(parent)) {
        ChildVisit::Break => sys::CXChildVisit_Break,
        ChildVisit::Continue => sys::CXChildVisit_Continue,
        ChildVisit::Recurse => sys::CXChildVisit_Recurse,
    }
}

impl<'tu> Cursor<'tu> {
    pub(crate) fn from_raw(raw: sys::CXCursor) -> Cursor<'tu> {
        Cursor {
            raw,
            _tu: PhantomData,
        }
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> CursorKind {
        // SAFETY: plain value of a live TU.
        CursorKind::from_raw(unsafe { sys::clang_getCursorKind(self.raw) })
    }

    /// Whether the cursor is an expression.
    #[must_use]
    pub fn is_expression(&self) -> bool {
        // SAFETY: plain value.
        unsafe { sys::clang_isExpression(sys::clang_getCursorKind(self.raw)) != 0 }
    }

    /// Whether this is the null cursor (what libclang returns for "none").
    #[must_use]
    pub fn is_null(&self) -> bool {
        // SAFETY: plain value.
        unsafe { sys::clang_Cursor_isNull(self.raw) != 0 }
    }

    fn non_null(c: sys::CXCursor) -> Option<Cursor<'tu>> {
        let c = Cursor::from_raw(c);
        (!c.is_null()).then_some(c)
    }

    /// The name (identifier, member name, macro name, called function).
    #[must_use]
    pub fn spelling(&self) -> String {
        // SAFETY: plain value of a live TU.
        cx_string(unsafe { sys::clang_getCursorSpelling(self.raw) })
    }

    /// The type of the entity or expression.
    #[must_use]
    pub fn ty(&self) -> Type<'tu> {
        // SAFETY: plain value of a live TU.
        Type::from_raw(unsafe { sys::clang_getCursorType(self.raw) })
    }

    /// The return type of a function.
    #[must_use]
    pub fn result_type(&self) -> Type<'tu> {
        // SAFETY: plain value of a live TU.
        Type::from_raw(unsafe { sys::clang_getCursorResultType(self.raw) })
    }

    /// Visits children depth-first with a closure `(child, parent) -> ChildVisit`.
    pub fn visit(&self, mut f: impl FnMut(Cursor<'tu>, Cursor<'tu>) -> ChildVisit) {
        let mut dyn_f: &mut VisitFn<'_, 'tu> = &mut f;
        let data: *mut &mut VisitFn<'_, 'tu> = &raw mut dyn_f;
        // SAFETY: the trampoline casts `data` back to the same type; `dyn_f` outlives the call.
        unsafe { sys::clang_visitChildren(self.raw, visit_trampoline, data.cast::<c_void>()) };
    }

    /// The direct children, in order.
    #[must_use]
    pub fn children(&self) -> Vec<Cursor<'tu>> {
        let mut out = Vec::new();
        self.visit(|c, _| {
            out.push(c);
            ChildVisit::Continue
        });
        out
    }

    /// The declaration an expression or reference refers to.
    #[must_use]
    pub fn referenced(&self) -> Option<Cursor<'tu>> {
        // SAFETY: plain value of a live TU.
        Self::non_null(unsafe { sys::clang_getCursorReferenced(self.raw) })
    }

    /// The entity a declaration belongs to (a record's member → the record; a block-scope
    /// declaration → its function), if any.
    #[must_use]
    pub fn semantic_parent(&self) -> Option<Cursor<'tu>> {
        // SAFETY: plain value of a live TU.
        Self::non_null(unsafe { sys::clang_getCursorSemanticParent(self.raw) })
    }

    /// The definition of the entity, if the TU has it.
    #[must_use]
    pub fn definition(&self) -> Option<Cursor<'tu>> {
        // SAFETY: plain value of a live TU.
        Self::non_null(unsafe { sys::clang_getCursorDefinition(self.raw) })
    }

    /// Whether this cursor is a definition (a function with a body, a struct with members).
    #[must_use]
    pub fn is_definition(&self) -> bool {
        // SAFETY: plain value of a live TU.
        unsafe { sys::clang_isCursorDefinition(self.raw) != 0 }
    }

    /// Whether the declaration is `static`.
    #[must_use]
    pub fn is_static(&self) -> bool {
        // SAFETY: plain value of a live TU.
        unsafe { sys::clang_Cursor_getStorageClass(self.raw) == sys::CX_SC_Static }
    }

    /// Whether a field declaration is a bitfield.
    #[must_use]
    pub fn is_bit_field(&self) -> bool {
        // SAFETY: plain value of a live TU.
        unsafe { sys::clang_Cursor_isBitField(self.raw) != 0 }
    }

    /// Whether a field declaration is an anonymous struct or union member (`union { ... };`
    /// inside a struct), whose own members are reached as if they were the outer record's.
    #[must_use]
    pub fn is_anonymous_member(&self) -> bool {
        let Some(record) = self.ty().canonical().declaration() else {
            return false;
        };
        // SAFETY: plain value of a live TU.
        unsafe { sys::clang_Cursor_isAnonymousRecordDecl(record.raw) != 0 }
    }

    /// Number of call arguments or function parameters (`None` for other cursors).
    #[must_use]
    pub fn num_arguments(&self) -> Option<u32> {
        // SAFETY: plain value of a live TU.
        let n = unsafe { sys::clang_Cursor_getNumArguments(self.raw) };
        u32::try_from(n).ok()
    }

    /// The `i`th call argument or function parameter.
    #[must_use]
    pub fn argument(&self, i: u32) -> Option<Cursor<'tu>> {
        // SAFETY: plain value of a live TU; libclang returns the null cursor for bad indices.
        Self::non_null(unsafe { sys::clang_Cursor_getArgument(self.raw, i) })
    }

    /// All call arguments or function parameters.
    #[must_use]
    pub fn arguments(&self) -> Vec<Cursor<'tu>> {
        (0..self.num_arguments().unwrap_or(0))
            .filter_map(|i| self.argument(i))
            .collect()
    }

    /// Evaluates a constant expression or a variable's initializer.
    #[must_use]
    pub fn evaluate(&self) -> Option<EvalResult> {
        // SAFETY: plain value of a live TU; the result is disposed below.
        let r = unsafe { sys::clang_Cursor_Evaluate(self.raw) };
        if r.is_null() {
            return None;
        }
        // SAFETY: `r` is a live CXEvalResult, disposed once after reading.
        unsafe {
            let out = match sys::clang_EvalResult_getKind(r) {
                sys::CXEval_Int if sys::clang_EvalResult_isUnsignedInt(r) != 0 => {
                    Some(EvalResult::Uint(sys::clang_EvalResult_getAsUnsigned(r)))
                }
                sys::CXEval_Int => Some(EvalResult::Int(sys::clang_EvalResult_getAsLongLong(r))),
                sys::CXEval_Float => Some(EvalResult::Float(sys::clang_EvalResult_getAsDouble(r))),
                sys::CXEval_StrLiteral => {
                    let p = sys::clang_EvalResult_getAsStr(r);
                    (!p.is_null())
                        .then(|| EvalResult::Str(CStr::from_ptr(p).to_string_lossy().into_owned()))
                }
                _ => None,
            };
            sys::clang_EvalResult_dispose(r);
            out
        }
    }

    /// The operator of a binary or compound-assignment expression, as C spells it.
    #[must_use]
    pub fn binary_operator(&self) -> Option<&'static str> {
        // SAFETY: plain value of a live TU.
        let k = unsafe { sys::clang_getCursorBinaryOperatorKind(self.raw) };
        Some(match k {
            sys::CXBinaryOperator_Assign => "=",
            sys::CXBinaryOperator_AddAssign => "+=",
            sys::CXBinaryOperator_SubAssign => "-=",
            sys::CXBinaryOperator_Add => "+",
            sys::CXBinaryOperator_Sub => "-",
            sys::CXBinaryOperator_Comma => ",",
            _ => return None,
        })
    }

    /// The operator of a unary expression: `&`, `*`, or `None` for the others.
    #[must_use]
    pub fn unary_operator(&self) -> Option<&'static str> {
        // SAFETY: plain value of a live TU.
        let k = unsafe { sys::clang_getCursorUnaryOperatorKind(self.raw) };
        match k {
            sys::CXUnaryOperator_AddrOf => Some("&"),
            sys::CXUnaryOperator_Deref => Some("*"),
            _ => None,
        }
    }

    fn main(&self) -> sys::CXFile {
        // SAFETY: plain value of a live TU.
        main_file(unsafe { sys::clang_Cursor_getTranslationUnit(self.raw) })
    }

    /// Where the cursor's name (or start) is, as expanded into a file.
    #[must_use]
    pub fn location(&self) -> FileLocation {
        // SAFETY: plain value of a live TU.
        FileLocation::expansion(
            unsafe { sys::clang_getCursorLocation(self.raw) },
            self.main(),
        )
    }

    /// Where the cursor's name (or start) was spelled: differs from [`Cursor::location`] for code
    /// produced by a macro.
    #[must_use]
    pub fn spelling_location(&self) -> FileLocation {
        // SAFETY: plain value of a live TU.
        FileLocation::spelling(
            unsafe { sys::clang_getCursorLocation(self.raw) },
            self.main(),
        )
    }

    /// Whether any part of the cursor comes out of a macro expansion (its start, end or name is
    /// not spelled where it is expanded).
    #[must_use]
    pub fn is_from_macro(&self) -> bool {
        // SAFETY: plain values of a live TU.
        let (loc, range) = unsafe {
            (
                sys::clang_getCursorLocation(self.raw),
                sys::clang_getCursorExtent(self.raw),
            )
        };
        // SAFETY: `range` is a plain value.
        let ends = unsafe {
            [
                loc,
                sys::clang_getRangeStart(range),
                sys::clang_getRangeEnd(range),
            ]
        };
        let main = self.main();
        ends.into_iter()
            .any(|l| FileLocation::expansion(l, main) != FileLocation::spelling(l, main))
    }

    /// The extent as expansion file locations `(start, end)`; `end` is one past the last byte.
    #[must_use]
    pub fn extent(&self) -> (FileLocation, FileLocation) {
        let main = self.main();
        // SAFETY: plain values of a live TU.
        unsafe {
            let r = sys::clang_getCursorExtent(self.raw);
            (
                FileLocation::expansion(sys::clang_getRangeStart(r), main),
                FileLocation::expansion(sys::clang_getRangeEnd(r), main),
            )
        }
    }

    /// The extent as spelling file locations `(start, end)`: for code in a macro argument,
    /// where the argument's text is; `end` is one past the last byte.
    #[must_use]
    pub fn spelling_extent(&self) -> (FileLocation, FileLocation) {
        let main = self.main();
        // SAFETY: plain values of a live TU.
        unsafe {
            let r = sys::clang_getCursorExtent(self.raw);
            (
                FileLocation::spelling(sys::clang_getRangeStart(r), main),
                FileLocation::spelling(sys::clang_getRangeEnd(r), main),
            )
        }
    }

    /// The extent as byte offsets `[start, end)` in the main file, if it lies there.
    #[must_use]
    pub fn main_file_range(&self) -> Option<(u32, u32)> {
        let (a, b) = self.extent();
        (a.in_main_file && b.in_main_file && a.offset <= b.offset).then_some((a.offset, b.offset))
    }
}
