"""Which kernel macros the set keeps, and why each other one is dropped.

Rules, in order (the first that applies decides):
- kconfig: CONFIG_* values and the IS_ENABLED() family test the build's kernel config, which
  is not the target's; LINUX_VERSION_CODE and friends become `LINUX_KERNEL_VERSION __kconfig`,
  IS_ENABLED() and IS_BUILTIN()/IS_MODULE() tests of a `__kconfig` variable (FORMS).
- prelude: libbpf or bccc already defines the name (theirs wins).
- breaks-prelude: the name appears in a libbpf/bccc macro body, which it would change when that
  macro is expanded after the kernel header (`offsetof`, `barrier`, `likely`, `inline`, ...).
- vmlinux: the name is a typedef or (with another value) an enumerator of a compared kernel's
  vmlinux.h; an identity macro (`#define IPPROTO_TCP IPPROTO_TCP`) is kept.
- depends: the replacement list names an identifier nothing provides: not a kept macro or
  helper, not in vmlinux.h, libbpf or bccc (kernel functions and variables, dropped macros).
Values are compared between kernels later (check.py), where CO-RE forms are chosen."""

import dataclasses

import clang.cindex as ci

KCONFIG_FAMILY = {"IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE", "__is_defined",
                  "config_enabled"}
# Load-time forms, {name: (parameters or None, replacement)}: LINUX_VERSION_CODE and its parts as
# expressions of libbpf's `LINUX_KERNEL_VERSION __kconfig`; the IS_ENABLED() family as tests of
# an option the program declares `extern bool CONFIG_X __kconfig __weak;` (or `enum
# libbpf_tristate`: 1 built in, 2 a module), so C code tests the target's config when it loads.
FORMS = {
    "LINUX_VERSION_CODE": (None, "LINUX_KERNEL_VERSION"),
    "LINUX_VERSION_MAJOR": (None, "(LINUX_KERNEL_VERSION >> 16)"),
    "LINUX_VERSION_PATCHLEVEL": (None, "((LINUX_KERNEL_VERSION >> 8) & 0xff)"),
    "LINUX_VERSION_SUBLEVEL": (None, "(LINUX_KERNEL_VERSION & 0xff)"),
    "IS_ENABLED": (["option"], "(!!(option))"),
    "IS_BUILTIN": (["option"], "((option) == 1)"),
    "IS_MODULE": (["option"], "((option) == 2)"),
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
    OLDER = "older-only"


def _close(body, i):
    """The index of the `)` matching the `(` at body[i] (len(body) when unbalanced)."""
    depth = 0
    for j in range(i, len(body)):
        depth += body[j] == "("
        depth -= body[j] == ")"
        if depth == 0:
            return j
    return len(body)


def _arguments(body, i):
    """[(first, end)] index ranges of the top-level arguments of the call whose `(` is body[i]."""
    out, depth, first = [], 0, i + 1
    for j in range(i, _close(body, i) + 1):
        t = body[j] if j < len(body) else ")"
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        if depth == 0 or (depth == 1 and t == ","):
            out.append((first, j))
            first = j + 1
    return out


def _param_name(p):
    return "__VA_ARGS__" if p == "..." else p.removesuffix("...")


# Macros that are not the kernel's (libbpf defines `offsetof` and `container_of`; clang has the builtin) whose
# argument is a member designator (`inet_conn.icsk_inet.sk` in `tcp_sk`'s container_of): names
# of members, needing nothing defined.
MEMBER_DESIGNATORS = {"offsetof": {1}, "__builtin_offsetof": {1}, "container_of": {2}}


class NameOnly:
    """Which parameters of the function-like macros only name things: no use, or every use
    stringizes (`#v`) or pastes (`a##b`) them, or hands them on to such a parameter of another macro
    (`__user` is `BTF_TYPE_TAG(user)`, which is `btf_type_tag(#value)`). An identifier passed
    there is not something the macro needs defined."""

    def __init__(self, macros):
        self.macros = macros
        self.memo = {}

    def params(self, name):
        """Indices of `name`'s name-only parameters."""
        if name in MEMBER_DESIGNATORS:
            return MEMBER_DESIGNATORS[name]
        if name in self.memo:
            return self.memo[name]
        self.memo[name] = set()  # a recursive use decides nothing
        m = self.macros.get(name)
        if m is None or m.params is None:
            return set()
        body, inside = m.body, self.skipped(m.body)
        out = set()
        for k, p in enumerate(m.params):
            p = _param_name(p)
            uses = [i for i, t in enumerate(body) if t == p]
            # Unused (`BTF_TYPE_TAG(value)` is empty without BTF) counts: nothing is needed.
            if all(i in inside or (i and body[i - 1] in ("#", "##"))
                            or (i + 1 < len(body) and body[i + 1] == "##") for i in uses):
                out.add(k)
        self.memo[name] = out
        return out

    def skipped(self, body):
        """Indices of `body` inside name-only arguments of the macro calls it makes."""
        out = set()
        for i, t in enumerate(body[:-1]):
            if t in MEMBER_DESIGNATORS and body[i + 1] == "(":
                for j, (first, end) in enumerate(_arguments(body, i + 1)):
                    if j in MEMBER_DESIGNATORS[t]:
                        out.update(range(first, end))
                continue
            m = self.macros.get(t)
            if m is None or m.params is None or body[i + 1] != "(" \
                    or (i and body[i - 1] in (".", "->")):
                continue
            names = self.params(t)
            last = len(m.params) - 1
            variadic = bool(m.params) and m.params[-1].endswith("...")
            for j, (first, end) in enumerate(_arguments(body, i + 1)):
                k = min(j, last) if variadic else j
                if k in names:
                    out.update(range(first, end))
        return out


def identifiers(macro, names_only=None):
    """Identifiers the replacement list needs from elsewhere: not parameters, not member names
    (after `.`/`->`), not inside __attribute__((...)), not pasted with ##, not arguments a
    called macro only names (`names_only`, a NameOnly); struct/union/enum tags as ('tag',
    name)."""
    params = {_param_name(p) for p in (macro.params or [])}
    body = macro.body
    skip = names_only.skipped(body) if names_only else set()
    out = set()
    i = 0
    while i < len(body):
        s = body[i]
        if i in skip:
            i += 1
            continue
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
    return out


C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
              "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
              "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
              "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
              "_Complex", "_Noreturn", "_Thread_local", "_Alignas", "__thread", "__inline",
              "__signed", "__unsigned"}


def _is_ident(s):
    return (s[:1].isalpha() or s[:1] == "_") and all(ch.isalnum() or ch == "_" for ch in s)


def static_reasons(macros, preludes, primary, values):
    """{name: (reason, detail)} for macros that fail a rule other than `depends` (`values`:
    the integer value of each constant as the set defines it)."""
    host = preludes[primary]
    breakers = {}
    for pname, (pfile, ids) in host.macros.items():
        for i in ids:
            breakers.setdefault(i, (pname, pfile))
    out = {}
    for name, m in macros.items():
        if name in FORMS:
            continue
        if name.startswith("CONFIG_") or name in KCONFIG_FAMILY:
            out[name] = (Reason.KCONFIG, "tests the build's kernel config, not the target's")
        elif name in host.macros:
            out[name] = (Reason.PRELUDE, f"defined by {host.macros[name][0]}")
        elif name in breakers:
            pm, pf = breakers[name]
            out[name] = (Reason.BREAKS_PRELUDE, f"would change `{pm}` of {pf}")
        else:
            r = _vmlinux_clash(name, m, preludes, values.get(name))
            if r:
                out[name] = (Reason.VMLINUX, r)
    return out


def _vmlinux_clash(name, m, preludes, value):
    """Why `name` cannot be a macro next to vmlinux.h, or None. A macro named as an enumerator
    may stay when it has the enumerator's value in every vmlinux.h that has it: vmlinux.h comes
    first, and the macro then stands for the same number."""
    if m.params is None and m.body == [name]:
        return None
    for p in preludes.values():
        if name in p.typedefs:
            return f"a typedef in vmlinux.h ({p.alias})"
    for p in preludes.values():
        if name in p.enumerators and (value is None or p.enumerators[name][0] != value):
            return f"an enumerator in vmlinux.h ({p.alias}) with another value"
    return None


def enum_converted(parsed, aliases, preludes, kernels, paths):
    """{name: Macro} for constants older kernels #define and newer ones made enumerators
    (TASK_COMM_LEN, an enum since 5.19): vmlinux.h of a newer kernel has the enumerator, an
    older one has nothing, so the set defines the older macro, whose value is the
    enumerator's everywhere. `paths`: {include name: the newest kernel's file} of the set."""
    primary = aliases[-1]
    out = {}
    for al in reversed(aliases[:-1]):
        for n, m in parsed[al].macros.items():
            v = parsed[al].values.get(n)
            if n in out or n in parsed[primary].macros or m.params is not None or v is None \
                    or n not in preludes[primary].enumerators:
                continue
            if not all(preludes[b].enumerators.get(n, (None,))[0] == v
                       or parsed[b].values.get(n) == v for b in aliases):
                continue
            path = paths.get(kernels[al].canonical(m.file))
            if path:
                # After the newest file's own definitions, in the older file's order.
                out[n] = dataclasses.replace(m, file=path, offset=(1 << 40) + m.offset,
                                             origin=(m.file, m.offset, m.end))
    return out


def _field_alias(m, first, fields):
    """Whether `m` is a field alias that starts with the member `first`: `#define sk_dport
    __sk_common.skc_dport`, used as `sk->sk_dport` (the member needs no definition)."""
    body = m.body
    return m.params is None and body[:1] == [first] and first in fields \
        and (len(body) == 1 or body[1] in (".", "->", "["))


def resolve_dependencies(macros, dropped, helpers_kept, preludes, primary, blame=None):
    """Drops, until nothing changes, macros whose identifiers nothing provides; returns the
    kept names. `dropped` is updated in place; `blame` (when given) gets {dropped name: the
    name it needed}."""
    host = preludes[primary]
    provided = host.names()
    tags = host.tags
    fields = set().union(*host.members.values())
    names_only = NameOnly(macros)
    deps = {n: set() if n in FORMS else identifiers(m, names_only) for n, m in macros.items()
            if n not in dropped}
    kept = set(deps)
    changed = True
    while changed:
        changed = False
        for n in sorted(kept):
            # In a fixed order, so the reported dependency does not vary between runs.
            for d in sorted(deps[n], key=lambda d: (isinstance(d, tuple), str(d))):
                if isinstance(d, tuple):
                    if d[1] not in tags:
                        dropped[n] = (Reason.DEPENDS, f"`{d[0]} {d[1]}`: not in vmlinux.h")
                        break
                elif d not in kept and d not in provided and d not in helpers_kept \
                        and d not in FORMS and not _field_alias(macros[n], d, fields):
                    why = dropped.get(d)
                    detail = f"uses `{d}`" + (f" ({why[0]}: {why[1]})" if why and d != n
                                              else ": a kernel function or variable, or not defined")
                    dropped[n] = (Reason.DEPENDS, detail)
                    if blame is not None:
                        blame[n] = d
                    break
            if n in dropped:
                kept.discard(n)
                changed = True
    return kept


def config_bound(name, dropped, blame):
    """Whether `name`'s drop comes down to a CONFIG_* option (through `depends` chains)."""
    seen = set()
    while name not in seen:
        seen.add(name)
        if name.startswith("CONFIG_") or dropped.get(name, ("",))[0] == Reason.KCONFIG:
            return True
        if name not in blame:
            return False
        name = blame[name]
    return False


def older_definitions(macros, dropped, blame, parsed, aliases):
    """{name: Macro} replacing newest definitions that read the kernel config with an older
    kernel's that does not, for integer constants whose value is the same in every compared
    kernel: x86's PAGE_SHIFT is CONFIG_PAGE_SHIFT since 6.10 and 12 before, as ever."""
    names_only = NameOnly(macros)
    out = {}
    for n, m in macros.items():
        if m.params is not None or not config_bound(n, dropped, blame):
            continue
        values = {parsed[al].values.get(n) for al in aliases}
        if len(values) != 1 or None in values:
            continue
        for al in reversed(aliases[:-1]):
            old = parsed[al].macros.get(n)
            if old is None or old.params is not None or old.body == m.body:
                continue
            ids = identifiers(old, names_only)
            if any(isinstance(i, str) and (i.startswith("CONFIG_") or i in KCONFIG_FAMILY)
                   for i in ids):
                continue
            out[n] = dataclasses.replace(old, file=m.file, offset=m.offset,
                                         origin=(old.file, old.offset, old.end))
            break
    return out
