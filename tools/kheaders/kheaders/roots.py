"""The root headers: every angle-bracket #include in the BPF C of BCC's tools/, examples/,
tests/ and libbpf-tools/*.bpf.c, and of the header BCC force-includes into every program
(src/cc/export/helpers.h: linux/version.h, asm/page.h, ...), as of the BCC checkout given. C
is found as whole files (.c, .h), as the string constants of Python files (Python's own
parser), and as string literals of C++ files (clang's lexer); each text is lexed with clang,
never matched with patterns."""

import ast
import subprocess

import clang.cindex as ci

from . import clangutil

AREAS = ("tools/", "examples/", "tests/", "libbpf-tools/")
# BCC's -include'd prelude: what it includes is in every BCC program, so in bccc's compat.h.
# Its text is a C++ raw string literal (embedded into libbcc), read as C++ source.
FORCED = "src/cc/export/helpers.h"


def _git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True).stdout


def _c_texts(path, data):
    """The C texts inside one file of the checkout."""
    text = data.decode("utf-8", "replace")
    if path == FORCED:
        path += ".cc"
    if path.endswith(".py"):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return []
        return [n.value for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and "#include" in n.value]
    if path.endswith(".cc"):
        out = []
        for spelling, kind, _, _ in clangutil.lex(text, "t.cc", "c++"):
            if kind == ci.TokenKind.LITERAL and "#include" in spelling:
                body = spelling
                if body.startswith('R"'):
                    delim = body[2:body.index("(")]
                    body = body[body.index("(") + 1:len(body) - len(delim) - 2]
                out.append(body)
        return out
    if path.endswith((".c", ".h")):
        return [text]
    return []


def includes_of(text):
    """Header names of the angle-bracket #include directives of a C text."""
    toks = clangutil.lex(text)
    out = []
    for i, (sp, _, line, _) in enumerate(toks):
        if sp != "#" or (i > 0 and toks[i - 1][2] == line):
            continue
        rest = toks[i + 1:i + 3]
        if len(rest) < 2 or rest[0][0] != "include" or rest[1][0] != "<":
            continue
        name = []
        for sp2, _, line2, _ in toks[i + 3:]:
            if line2 != line or sp2 == ">":
                break
            name.append(sp2)
        if name:
            out.append("".join(name))
    return out


def roots(repo):
    """{header name: number of BCC files that include it} over the areas above."""
    counts = {}
    files = _git(repo, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines()
    for path in files:
        if path != FORCED and (not path.startswith(AREAS)
                               or not path.endswith((".py", ".c", ".h", ".cc"))):
            continue
        if path.startswith("libbpf-tools/") and not path.endswith(".bpf.c"):
            continue
        try:
            data = _git(repo, "show", f"HEAD:{path}")
        except subprocess.CalledProcessError:  # a snapshot may lack its largest files
            continue
        names = set()
        for text in _c_texts(path, data):
            names.update(includes_of(text))
        for n in names:
            counts[n] = counts.get(n, 0) + 1
    return counts
