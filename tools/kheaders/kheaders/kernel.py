"""One kernel's headers, as Debian ships them (linux-headers-<abi>-common + -amd64): the Kbuild
include path, and what preprocessing and parsing the root headers with it yields: the include
graph, every macro definition with the file it comes from, the static inline functions, and the
value of every object-like macro that is an integer constant."""

import bisect
import functools
import glob
import os
import subprocess
from dataclasses import dataclass, field

import clang.cindex as ci

from . import clangutil

FORCED = ("linux/kconfig.h", "linux/compiler_types.h")
# Every cursor's file is resolved; the same few thousand files over and over.
_real = functools.lru_cache(maxsize=None)(os.path.realpath)
EVAL_PREFIX = "__kh_eval_"


@dataclass
class Macro:
    name: str
    file: str          # absolute path of the defining header
    offset: int        # where in that file (orders definitions)
    params: list | None  # None: object-like
    body: list         # token spellings of the replacement list
    line: int = 0
    end: int = 0       # end offset of the definition in its file
    kinds: list = field(default_factory=list)  # token kinds of `body`
    origin: tuple | None = None  # (file, start, end) of the text when not `file` (older kernel)

    def text(self):
        head = self.name if self.params is None else f"{self.name}({', '.join(self.params)})"
        return f"#define {head} {' '.join(self.body)}".rstrip()


@dataclass
class Helper:
    name: str
    file: str
    offset: int
    cursor: object     # FUNCTION_DECL (definition), valid while the TU lives


@dataclass
class Parsed:
    macros: dict = field(default_factory=dict)     # name -> Macro (the definition in force)
    includes: dict = field(default_factory=dict)   # file -> [included file, in order]
    helpers: dict = field(default_factory=dict)    # name -> Helper
    values: dict = field(default_factory=dict)     # name -> int (object-like constants)
    expansions: dict = field(default_factory=dict)  # file -> [(offset, macro name)], in order
    tu: object = None

    def uses(self, helper):
        """Names of the macros expanded in `helper`'s definition (top-level expansions: what
        those expand to is the macros' own dependencies)."""
        ext = helper.cursor.extent
        exps = self.expansions.get(helper.file, [])
        i = bisect.bisect_left(exps, (ext.start.offset, ""))
        out = set()
        while i < len(exps) and exps[i][0] < ext.end.offset:
            out.add(exps[i][1])
            i += 1
        return out


class Kernel:
    def __init__(self, alias, root):
        self.alias = alias
        common = glob.glob(os.path.join(root, "usr/src/linux-headers-*-common"))[0]
        arch = glob.glob(os.path.join(root, "usr/src/linux-headers-*-amd64"))[0]
        self.version = os.path.basename(common)[len("linux-headers-"):-len("-common")]
        self.dirs = [os.path.join(*p) for p in (
            (common, "arch/x86/include"), (arch, "arch/x86/include/generated"),
            (common, "include"), (arch, "include"),
            (common, "arch/x86/include/uapi"), (arch, "arch/x86/include/generated/uapi"),
            (common, "include/uapi"), (arch, "include/generated/uapi"))]
        self.dirs = [d for d in self.dirs if os.path.isdir(d)]

    def flags(self):
        out = ["-target", "x86_64-linux-gnu", "-nostdinc", "-isystem", clangutil.RESOURCE_INCLUDE]
        out += [f"-I{d}" for d in self.dirs]
        for f in FORCED:
            out += ["-include", f]
        out += ["-D__KERNEL__", "-D__BPF_TRACING__", '-DKBUILD_MODNAME="bcc"',
                # BCC defines it when CONFIG_FUNCTION_TRACER is set (asm/ftrace.h #errors without).
                "-DCC_USING_FENTRY",
                "-Wno-everything", "-ferror-limit=0", "-std=gnu11", "-fms-extensions"]
        return out

    def resolve(self, rel):
        """The file `#include <rel>` finds, or None."""
        for d in self.dirs:
            p = os.path.join(d, rel)
            if os.path.isfile(p):
                return os.path.realpath(p)
        return None

    def names(self, path):
        """Every name under which `#include <name>` finds `path`, in the include path's order,
        `generated/...` names last (`uapi/asm/byteorder.h` and `asm/byteorder.h` are one file)."""
        path = os.path.realpath(path)
        names = []
        for d in self.dirs:
            rd = os.path.realpath(d)
            if path.startswith(rd + "/"):
                rel = os.path.relpath(path, rd)
                if self.resolve(rel) == path and rel not in names:
                    names.append(rel)
        names.sort(key=lambda n: n.startswith("generated/"))
        return names

    def canonical(self, path):
        """The name the set writes `path` under (a `generated/...` name only when there is no
        other, as for `linux/version.h`), or None."""
        names = self.names(path)
        return names[0] if names else None

    def is_kernel_file(self, path):
        return any(os.path.realpath(path).startswith(os.path.realpath(d) + "/") for d in self.dirs)

    def final_macros(self, text):
        """{name: is function-like} of the macros defined at the end of `text`, from clang -dM."""
        out = subprocess.run([clangutil.CLANG, *self.flags(), "-E", "-dM", "-x", "c", "-"],
                             input=text.encode(), capture_output=True).stdout
        names = {}
        for line in out.decode("utf-8", "replace").splitlines():
            if not line.startswith("#define "):
                continue
            head = line[len("#define "):].split(" ", 1)[0]
            name = head.split("(", 1)[0]
            names[name] = "(" in head
        return names

    def parse(self, roots, expansions=False):
        """Parses a translation unit including `roots` (names that resolve) and evaluates every
        object-like macro in force at its end; with `expansions`, records where macros are
        expanded (for `Parsed.uses`; hundreds of thousands, so only for the source kernel)."""
        text = "".join(f"#include <{r}>\n" for r in roots)
        final = self.final_macros(text)
        objs = sorted(n for n, fn in final.items() if not fn)
        evals = "".join(f"static const long long {EVAL_PREFIX}{i} = (long long)({n});\n"
                        for i, n in enumerate(objs))
        name = os.path.join(os.path.realpath(self.dirs[0]), "__kheaders_roots.c")
        tu = clangutil.index().parse(name, args=self.flags(), unsaved_files=[(name, text + evals)],
                                     options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD)
        out = Parsed(tu=tu, expansions={} if expansions else None)
        for c in tu.cursor.get_children():
            self._visit(c, name, final, objs, out)
        for exps in (out.expansions or {}).values():
            exps.sort()
        return out

    def _visit(self, c, main, final, objs, out):
        loc = c.location
        file = loc.file.name if loc.file else None
        k = c.kind
        if k == ci.CursorKind.INCLUSION_DIRECTIVE and file:
            inc = c.get_included_file()
            if inc is not None:
                out.includes.setdefault(_real(file), []).append(_real(inc.name))
        elif k == ci.CursorKind.MACRO_INSTANTIATION and out.expansions is not None and file \
                and file != main:
            out.expansions.setdefault(_real(file), []).append((loc.offset, c.spelling))
        elif k == ci.CursorKind.MACRO_DEFINITION and file and file != main:
            m = macro_of(c)
            if m and m.name in final and (m.params is not None) == final[m.name]:
                out.macros[m.name] = m  # later definitions (after #undef) win
        elif k == ci.CursorKind.FUNCTION_DECL and file and c.is_definition() \
                and c.storage_class == ci.StorageClass.STATIC and file != main:
            out.helpers[c.spelling] = Helper(c.spelling, os.path.realpath(file), loc.offset, c)
        elif k == ci.CursorKind.VAR_DECL and c.spelling.startswith(EVAL_PREFIX):
            kids = list(c.get_children())
            if kids:
                v = clangutil.evaluate_int(kids[-1])
                if v is not None:
                    out.values[objs[int(c.spelling[len(EVAL_PREFIX):])]] = v


def macro_of(cursor):
    """A MACRO_DEFINITION cursor as a Macro (tokens from clang's lexer)."""
    toks = list(cursor.get_tokens())
    if not toks:
        return None
    name = toks[0].spelling
    params = None
    rest = toks[1:]
    if rest and rest[0].spelling == "(" and rest[0].extent.start.offset == toks[0].extent.end.offset:
        close = next(i for i, t in enumerate(rest) if t.spelling == ")")
        params = [t.spelling for t in rest[1:close] if t.spelling != ","]
        # `args...` is two tokens: fold the ellipsis onto the name.
        folded = []
        for p in params:
            if p == "..." and folded and folded[-1] != "...":
                folded[-1] += "..."
            else:
                folded.append(p)
        params = folded
        rest = rest[close + 1:]
    body = [t.spelling for t in rest]
    return Macro(name, os.path.realpath(cursor.location.file.name), cursor.extent.start.offset,
                 params, body, cursor.location.line, cursor.extent.end.offset,
                 [t.kind for t in rest])
