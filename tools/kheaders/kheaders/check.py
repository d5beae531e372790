"""Compiles the written set against each compared kernel's vmlinux.h with bccc's headers (the
helpers whose needs that vmlinux.h lacks turned off, as bccc does), and evaluates every kept
object-like macro there: which items fail to compile (attributed by the
line clang reports, the expansion site), and each constant's value under each vmlinux.h."""

import os

import clang.cindex as ci

from . import clangutil, prelude as P

EVAL = "__kh_check_"


def run(setdir, rels, pre, stage, constants, off_dir):
    """The translation unit of every set header and constant, against `pre`'s vmlinux.h, with
    the helpers `off_dir`'s bccc/kheaders_off.h turns off for that kernel left out."""
    main = os.path.join(setdir, "__check.c")
    text = "".join(f"#include <{r}>\n" for r in sorted(rels))
    text += "".join(f"static const long long {EVAL}{i} = (long long)({n});\n"
                    for i, n in enumerate(constants))
    args = ["-I" + off_dir, "-I" + setdir] + P.flags(pre.dir, stage) \
        + ["-ferror-limit=0", "-Wmacro-redefined"]
    # -I order: the set first, then the prelude dir (flags() adds it).
    tu = clangutil.index().parse(main, args=args, unsaved_files=[(main, text)])
    return tu


def failures(tu, setdir, spans):
    """{(kind, name): message} for diagnostics (errors, macro redefinitions) inside set files."""
    out = {}
    for d in tu.diagnostics:
        if d.severity < ci.Diagnostic.Warning:
            continue
        if d.severity == ci.Diagnostic.Warning and "redefined" not in d.spelling:
            continue
        f = d.location.file
        if not f or not f.name.startswith(setdir + "/"):
            continue
        rel = os.path.relpath(f.name, setdir)
        line = d.location.line
        for first, last, kind, name in spans.get(rel, []):
            if first <= line <= last:
                out.setdefault((kind, name), d.spelling)
                break
    return out


def values(tu, constants):
    out = {}
    for c in tu.cursor.get_children():
        if c.kind == ci.CursorKind.VAR_DECL and c.spelling.startswith(EVAL):
            kids = list(c.get_children())
            if kids:
                v = clangutil.evaluate_int(kids[-1])
                if v is not None:
                    out[constants[int(c.spelling[len(EVAL):])]] = v
    return out


def write_off(off_dir, off):
    """bccc/kheaders_off.h under `off_dir`, turning off the helpers of `off` ({name: need})."""
    path = os.path.join(off_dir, "bccc", "kheaders_off.h")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("".join(f"#define __BCCC_KH_OFF_{n} /* {need} */\n"
                        for n, need in sorted(off.items())))
