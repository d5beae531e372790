"""libclang access shared by the generator's steps: the index, lexing a C text, evaluating a
cursor's constant value (clang_Cursor_Evaluate, which the Python bindings do not wrap)."""

import ctypes
import os

import clang.cindex as ci

LIBCLANG = os.environ.get("KHEADERS_LIBCLANG", "/usr/lib/llvm-19/lib/libclang-19.so.1")
CLANG = os.environ.get("KHEADERS_CLANG", "/usr/lib/llvm-19/bin/clang")
RESOURCE_INCLUDE = "/usr/lib/llvm-19/lib/clang/19/include"

if not ci.Config.loaded:
    ci.Config.set_library_file(LIBCLANG)

SINGLE_FILE_PARSE = 0x400
_index = None


def index():
    global _index
    if _index is None:
        _index = ci.Index.create()
        lib = ci.conf.lib
        lib.clang_Cursor_Evaluate.argtypes = [ci.Cursor]
        lib.clang_Cursor_Evaluate.restype = ctypes.c_void_p
        lib.clang_EvalResult_getKind.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getKind.restype = ctypes.c_int
        lib.clang_EvalResult_getAsLongLong.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getAsLongLong.restype = ctypes.c_longlong
        lib.clang_EvalResult_dispose.argtypes = [ctypes.c_void_p]
    return _index


def lex(text, name="lex.c", lang="c"):
    """Tokens (spelling, kind, line, column) of `text`, lexed by clang without resolving
    anything (single-file parse)."""
    tu = index().parse(name, args=["-x", lang, "-nostdinc"], unsaved_files=[(name, text)],
                       options=SINGLE_FILE_PARSE)
    return [(t.spelling, t.kind, t.location.line, t.location.column)
            for t in tu.get_tokens(extent=tu.cursor.extent)]


def evaluate_int(cursor):
    """The integer value of a constant expression cursor, or None."""
    lib = ci.conf.lib
    res = lib.clang_Cursor_Evaluate(cursor)
    if not res:
        return None
    try:
        if lib.clang_EvalResult_getKind(res) != 1:  # CXEval_Int
            return None
        return lib.clang_EvalResult_getAsLongLong(res)
    finally:
        lib.clang_EvalResult_dispose(res)
