"""What a bccc program sees before any kernel header: vmlinux.h (per kernel BTF), libbpf's
headers and bccc's own (base.h, compat.h, parse.h), taken from the include directory bccc
itself writes into its cache, so the generator checks against exactly what bccc compiles with."""

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

import clang.cindex as ci

from . import clangutil

# A program bccc accepts: building it fills the cache's include directory.
_PROGRAM = "int kprobe__do_nanosleep(void *ctx) { return 0; }\n"
# Parts of bccc's include directory that are not the generated kernel set.
_KEEP = ("vmlinux.h", "bpf", "bccc")


@dataclass
class Prelude:
    alias: str
    dir: str                                       # include dir: vmlinux.h, bpf/, bccc/
    typedefs: set = field(default_factory=set)
    tags: set = field(default_factory=set)         # struct/union/enum tags
    complete: set = field(default_factory=set)     # ('struct'|'union'|'enum', tag) defined
    members: dict = field(default_factory=dict)    # record tag -> field names (anonymous
                                                   # members' fields included)
    enumerators: dict = field(default_factory=dict)  # name -> (value, enum tag or None)
    decls: set = field(default_factory=set)        # functions and variables (libbpf helpers)
    macros: dict = field(default_factory=dict)     # name -> (file, body identifiers)

    def names(self):
        return self.typedefs | set(self.enumerators) | self.decls | set(self.macros)


def flags(prelude_dir, stage):
    """bccc's clang flags for `stage` ('parse' or 'compile'), without the PCH."""
    out = ["-target", "bpf", "-O2", "-g", "-fms-extensions", "-Wno-microsoft-anon-tag",
           "-D__TARGET_ARCH_x86", "-D__BCCC__", f"-I{prelude_dir}", "-include", "bccc/base.h"]
    out += ["-include", "bccc/parse.h" if stage == "parse" else "bccc/compat.h"]
    return out


def make(alias, btf, bccc, workdir):
    """Builds bccc's include directory for `btf` and copies its non-kernel-set part."""
    cache = tempfile.mkdtemp(dir=workdir)
    src = os.path.join(workdir, "prelude.c")
    with open(src, "w") as f:
        f.write(_PROGRAM)
    subprocess.run([bccc, "build", src, "--btf", btf, "--emit", "c", "-o", os.devnull],
                   check=True, env={**os.environ, "BCCC_CACHE_DIR": cache}, capture_output=True)
    inc = glob.glob(os.path.join(cache, "env-*", "include"))[0]
    out = os.path.join(workdir, f"prelude-{alias}")
    os.makedirs(out, exist_ok=True)
    for name in _KEEP:
        s = os.path.join(inc, name)
        (shutil.copytree if os.path.isdir(s) else shutil.copy)(s, os.path.join(out, name))
    shutil.rmtree(cache)
    p = Prelude(alias, out)
    _read(p)
    return p


def _fields(record, depth=0):
    """Field names of a struct/union definition, anonymous members' own fields included (an
    anonymous member is a nested record no field is declared with)."""
    kids = list(record.get_children())
    fields = [f for f in kids if f.kind == ci.CursorKind.FIELD_DECL]
    typed = {f.type.get_declaration().hash for f in fields}
    out = {f.spelling for f in fields if f.spelling}
    for r in kids:
        if r.kind in (ci.CursorKind.STRUCT_DECL, ci.CursorKind.UNION_DECL) and r.is_anonymous() \
                and r.hash not in typed and depth < 8:
            out |= _fields(r, depth + 1)
    return out


def offs(p, helpers):
    """{helper: the first need this vmlinux.h lacks} for `helpers` ({name: needs}), callers of
    a helper that is off included (as bccc computes it)."""
    out = {}
    changed = True
    while changed:
        changed = False
        for h in sorted(helpers):
            if h not in out:
                m = needs_met(p, helpers[h], out)
                if m:
                    out[h] = m
                    changed = True
    return out


def needs_met(p, needs, off=()):
    """The first of a helper's needs (helpers.needs) that this vmlinux.h lacks (or a helper
    it calls that is in `off`), or None."""
    for n in sorted(needs):
        kind, name = n.split(":", 1)
        if kind == "helper":
            ok = name not in off
        elif kind == "typedef":
            ok = name in p.typedefs
        elif kind in ("struct", "union", "enum"):
            ok = (kind, name) in p.complete
        elif kind == "enumerator":
            ok = name in p.enumerators
        else:  # member:record.field
            rec, fld = name.split(".", 1)
            ok = fld in p.members.get(rec, ())
        if not ok:
            return n
    return None


def _read(p):
    main = os.path.join(p.dir, "__prelude.c")
    tu = clangutil.index().parse(main, args=flags(p.dir, "parse"), unsaved_files=[(main, "")],
                                 options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD)
    for c in tu.cursor.get_children():
        k = c.kind
        if k == ci.CursorKind.TYPEDEF_DECL:
            p.typedefs.add(c.spelling)
        elif k in (ci.CursorKind.STRUCT_DECL, ci.CursorKind.UNION_DECL, ci.CursorKind.ENUM_DECL):
            if c.spelling and not c.is_anonymous():
                p.tags.add(c.spelling)
                if c.is_definition():
                    kind = {ci.CursorKind.STRUCT_DECL: "struct", ci.CursorKind.UNION_DECL: "union",
                            ci.CursorKind.ENUM_DECL: "enum"}[k]
                    p.complete.add((kind, c.spelling))
                    if kind != "enum":
                        p.members.setdefault(c.spelling, set()).update(_fields(c))
            if k == ci.CursorKind.ENUM_DECL:
                tag = c.spelling if c.spelling and not c.is_anonymous() else None
                for e in c.get_children():
                    if e.kind == ci.CursorKind.ENUM_CONSTANT_DECL:
                        p.enumerators[e.spelling] = (e.enum_value, tag)
        elif k in (ci.CursorKind.FUNCTION_DECL, ci.CursorKind.VAR_DECL):
            p.decls.add(c.spelling)
        elif k == ci.CursorKind.MACRO_DEFINITION and c.location.file:
            toks = [t for t in c.get_tokens()][1:]
            ids = {t.spelling for t in toks
                   if t.kind in (ci.TokenKind.IDENTIFIER, ci.TokenKind.KEYWORD)}
            rel = os.path.relpath(c.location.file.name, p.dir)
            p.macros[c.spelling] = (rel, ids)
    # parse.h's text follows compat.h's kernel includes: every identifier in it is one no
    # kernel macro may redefine (recorded as a pseudo-macro body).
    for name in ("bccc/parse.h", "bccc/compat.h"):
        with open(os.path.join(p.dir, name)) as f:
            toks = clangutil.lex(f.read())
        ids = {s for s, k, _, _ in toks if k in (ci.TokenKind.IDENTIFIER, ci.TokenKind.KEYWORD)}
        p.macros.setdefault(f"<text of {name}>", (name, ids))
