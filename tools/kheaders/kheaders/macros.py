"""Which kernel macros the set keeps, and why each other one is dropped.

Rules, in order (the first that applies decides):
- kconfig: CONFIG_* values and the IS_ENABLED() family test the build's kernel config, which
  is not the target's; LINUX_VERSION_CODE and friends become `LINUX_KERNEL_VERSION __kconfig`.
- prelude: libbpf or bccc already defines the name (theirs wins).
- breaks-prelude: the name appears in a libbpf/bccc macro body, which it would change when that
  macro is expanded after the kernel header (`offsetof`, `barrier`, `likely`, `inline`, ...).
- vmlinux: the name is a typedef or (with another value) an enumerator of a compared kernel's
  vmlinux.h; an identity macro (`#define IPPROTO_TCP IPPROTO_TCP`) is kept.
- depends: the replacement list names an identifier nothing provides: not a kept macro or
  helper, not in vmlinux.h, libbpf or bccc (kernel functions and variables, dropped macros).
Values are compared between kernels later (check.py), where CO-RE forms are chosen."""

import clang.cindex as ci

KCONFIG_FAMILY = {"IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE", "__is_defined",
                  "config_enabled"}
# LINUX_VERSION_CODE and its parts, as expressions of libbpf's load-time kernel version.
VERSION_FORMS = {
    "LINUX_VERSION_CODE": "LINUX_KERNEL_VERSION",
    "LINUX_VERSION_MAJOR": "(LINUX_KERNEL_VERSION >> 16)",
    "LINUX_VERSION_PATCHLEVEL": "((LINUX_KERNEL_VERSION >> 8) & 0xff)",
    "LINUX_VERSION_SUBLEVEL": "(LINUX_KERNEL_VERSION & 0xff)",
}
BUILTIN_IDS = {"__attribute__", "__attribute", "__typeof__", "__typeof", "typeof", "__auto_type",
               "_Static_assert", "static_assert", "__alignof__", "__extension__", "__asm__",
               "asm", "__volatile__", "__inline__", "__inline", "__signed__", "__restrict",
               "__func__", "__FUNCTION__", "__FILE__", "__LINE__", "__COUNTER__", "__VA_ARGS__",
               "__VA_OPT__", "__has_builtin", "__has_attribute", "_Generic", "__label__",
               "__int128", "__seg_gs", "__seg_fs", "__builtin_offsetof", "__real__", "__imag__",
               "__const", "__const__", "__volatile", "__restrict__", "defined", "_Bool",
               "__has_include", "__is_identifier", "__typeof_unqual__", "typeof_unqual",
               "__alignof", "_Alignof", "__PRETTY_FUNCTION__", "__FILE_NAME__"}


class Reason:
    KCONFIG = "kconfig"
    PRELUDE = "prelude"
    BREAKS_PRELUDE = "breaks-prelude"
    VMLINUX = "vmlinux"
    DEPENDS = "depends"
    DIFFERS = "differs"
    COMPILE = "compile"
    UNNAMED = "unnamed-header"


def identifiers(macro):
    """Identifiers the replacement list needs from elsewhere: not parameters, not member names
    (after `.`/`->`), not inside __attribute__((...)), not pasted with ##; struct/union/enum tags
    as ('tag', name)."""
    params = {p.rstrip(".") for p in (macro.params or [])} | {"__VA_ARGS__"}
    body = macro.body
    out = set()
    depth_attr = 0
    i = 0
    while i < len(body):
        s = body[i]
        if s in ("__attribute__", "__attribute") and i + 1 < len(body) and body[i + 1] == "(":
            # skip the balanced parentheses
            depth, j = 0, i + 1
            while j < len(body):
                depth += body[j] == "("
                depth -= body[j] == ")"
                if depth == 0:
                    break
                j += 1
            i = j + 1
            continue
        if _is_ident(s) and s not in params and s not in BUILTIN_IDS and not s.startswith("__builtin_"):
            prev = body[i - 1] if i else ""
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if prev in (".", "->", "#", "##") or nxt == "##":
                pass
            elif prev in ("struct", "union", "enum"):
                out.add(("tag", s))
            elif s not in C_KEYWORDS:
                out.add(s)
        i += 1
    del depth_attr
    return out


C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
              "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
              "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
              "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
              "_Complex", "_Noreturn", "_Thread_local", "_Alignas", "__thread", "__inline",
              "__signed", "__unsigned"}


def _is_ident(s):
    return (s[:1].isalpha() or s[:1] == "_") and all(ch.isalnum() or ch == "_" for ch in s)


def static_reasons(macros, preludes, primary):
    """{name: (reason, detail)} for macros that fail a rule other than `depends`."""
    host = preludes[primary]
    breakers = {}
    for pname, (pfile, ids) in host.macros.items():
        for i in ids:
            breakers.setdefault(i, (pname, pfile))
    out = {}
    for name, m in macros.items():
        if name.startswith("CONFIG_") or name in KCONFIG_FAMILY:
            out[name] = (Reason.KCONFIG, "tests the build's kernel config, not the target's")
        elif name in host.macros:
            out[name] = (Reason.PRELUDE, f"defined by {host.macros[name][0]}")
        elif name in breakers:
            pm, pf = breakers[name]
            out[name] = (Reason.BREAKS_PRELUDE, f"would change `{pm}` of {pf}")
        else:
            r = _vmlinux_clash(name, m, preludes)
            if r:
                out[name] = (Reason.VMLINUX, r)
    return out


def _vmlinux_clash(name, m, preludes):
    if m.params is None and m.body == [name]:
        return None
    for p in preludes.values():
        if name in p.typedefs:
            return f"a typedef in vmlinux.h ({p.alias})"
        if name in p.enumerators:
            return f"an enumerator in vmlinux.h ({p.alias})"
    return None


def resolve_dependencies(macros, dropped, helpers_kept, preludes, primary):
    """Drops, until nothing changes, macros whose identifiers nothing provides; returns the
    kept names. `dropped` is updated in place."""
    host = preludes[primary]
    provided = host.names()
    tags = host.tags
    deps = {n: identifiers(m) for n, m in macros.items() if n not in dropped}
    kept = set(deps)
    changed = True
    while changed:
        changed = False
        for n in sorted(kept):
            for d in deps[n]:
                if isinstance(d, tuple):
                    if d[1] not in tags:
                        dropped[n] = (Reason.DEPENDS, f"`{d[0]} {d[1]}`: not in vmlinux.h")
                        break
                elif d not in kept and d not in provided and d not in helpers_kept and d not in VERSION_FORMS:
                    why = dropped.get(d)
                    detail = f"uses `{d}`" + (f" ({why[0]}: {why[1]})" if why and d != n
                                              else ": a kernel function or variable, or not defined")
                    dropped[n] = (Reason.DEPENDS, detail)
                    break
            if n in dropped:
                kept.discard(n)
                changed = True
    return kept
