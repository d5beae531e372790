#!/usr/bin/python3
"""Generates bccc's kernel header set (compiler/headers/kernel/) from Debian's kernel header
packages. See README.md next to this file."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kheaders import check, emit, helpers as H, kernel as KN, macros as M, prelude as P, roots as R  # noqa: E402,E501

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def log(*a):
    print("kheaders:", *a, file=sys.stderr, flush=True)


def fetch(aliases):
    out = subprocess.run([os.path.join(HERE, "fetch.sh"), *aliases], check=True,
                         stdout=subprocess.PIPE).stdout.decode().split("\n")
    return {a: (h, k) for a, h, k in (line.split() for line in out if line.strip())}


def closure(kernel, parsed, roots):
    """{kernel file: include name} of every file the roots (and the forced headers) reach."""
    start = [kernel.resolve(r) for r in list(roots) + list(KN.FORCED)]
    seen, stack = set(), [p for p in start if p]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        stack.extend(parsed.includes.get(p, []))
    files = {}
    for p in seen:
        rel = kernel.canonical(p)
        if rel and not rel.startswith("generated/"):
            files[p] = rel
    return files


def core_enumerators(preludes):
    """{enumerator: enum tag} for named-enum enumerators whose value differs between the
    compared kernels' vmlinux.h (or is missing from some)."""
    out = {}
    names = set().union(*(p.enumerators for p in preludes.values()))
    for n in names:
        vals = [p.enumerators.get(n) for p in preludes.values()]
        tags = {v[1] for v in vals if v}
        if len({v[0] if v else None for v in vals}) > 1 and len(tags) == 1 and None not in tags:
            out[n] = tags.pop()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bcc", default="/work/.mirror/iovisor+bcc/repo",
                    help="a git directory of BCC (bare or not)")
    ap.add_argument("--kernels", default="5.10,6.1,6.12,latest",
                    help="aliases of tests/vm/fetch-kernel.sh; the last one is the source")
    ap.add_argument("--bccc", default=os.path.join(REPO, "target/debug/bccc"))
    ap.add_argument("--out", default=os.path.join(REPO, "compiler/headers/kernel"))
    a = ap.parse_args()
    aliases = a.kernels.split(",")
    work = tempfile.mkdtemp(prefix="kheaders-")
    try:
        generate(a, aliases, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def generate(a, aliases, work):
    dirs = fetch(aliases)
    roots = R.roots(a.bcc)
    kernels = {al: KN.Kernel(al, dirs[al][0]) for al in aliases}
    primary = aliases[-1]
    src_k = kernels[primary]
    root_names = sorted(r for r in roots if src_k.resolve(r))
    log(f"{len(root_names)} root headers of {len(roots)} BCC includes resolve in {src_k.version}")
    parsed = {}
    for al, k in kernels.items():
        parsed[al] = k.parse([r for r in root_names if k.resolve(r)], expansions=al == primary)
        log(f"{al}: {len(parsed[al].macros)} macros, {len(parsed[al].helpers)} static functions")
    pre = {al: P.make(al, os.path.join(dirs[al][1], "btf"), a.bccc, work) for al in aliases}
    src = parsed[primary]
    files = closure(src_k, src, root_names)
    macros = {n: m for n, m in src.macros.items() if m.file in files}
    converted = M.enum_converted(parsed, aliases, pre, kernels, {r: p for p, r in files.items()})
    log(f"older kernels' #defines for {len(converted)} constants newer kernels made enumerators")
    macros.update(converted)
    values = {**{n: parsed[al].values[n] for al in aliases[:-1] for n in converted
                 if n in parsed[al].values}, **src.values}
    dropped = M.static_reasons(macros, pre, primary, values)
    for n, m in src.macros.items():
        # CONFIG_* (generated/autoconf.h) are explained by their prefix, not listed one by one.
        if m.file not in files and n not in dropped and not n.startswith("CONFIG_"):
            dropped[n] = (M.Reason.UNNAMED, "defined in a header no #include <...> name reaches")
    trial, blame = dict(dropped), {}
    M.resolve_dependencies(macros, trial, set(), pre, primary, blame)
    older = M.older_definitions(macros, trial, blame, parsed, aliases)
    log(f"older kernels' definitions for {len(older)} config-bound constants")
    macros.update(older)
    cands = {n: h for n, h in src.helpers.items() if h.file in files}
    core = core_enumerators(pre)
    text = emit.Source()
    helper_dropped = {}
    needs = Needs(cands)
    ctx = (cands, macros, src, pre, primary, src_k, needs)
    for rnd in range(20):
        pure, hdrop, d, kept = settle(ctx, helper_dropped, dropped)
        setdir = os.path.join(work, f"set{rnd}")
        spans = emit.write(setdir, src_k, files, src.includes, [macros[n] for n in kept],
                           [cands[n] for n in pure],
                           {n: H.render(cands[n], pure[n], text) for n in pure}, core, text)
        consts = sorted(n for n in kept if macros[n].params is None and n in values)
        for al in aliases:
            check.write_off(os.path.join(work, f"off{rnd}-{al}"),
                            P.offs(pre[al], {n: needs[n] for n in pure}))
        new, under = check_round(setdir, spans, pre, aliases, consts, helper_dropped, dropped,
                                 [os.path.join(work, f"off{rnd}-{al}") for al in aliases])
        new += value_decisions(consts, macros, parsed, under, dropped, aliases)
        log(f"round {rnd}: {len(kept)} macros, {len(pure)} helpers kept; {new} newly dropped")
        if new == 0:
            break
    else:
        # Out of rounds: write the set once more without what the last round dropped.
        pure, hdrop, d, kept = settle(ctx, helper_dropped, dropped)
        setdir = os.path.join(work, "final")
        emit.write(setdir, src_k, files, src.includes, [macros[n] for n in kept],
                   [cands[n] for n in pure],
                   {n: H.render(cands[n], pure[n], text) for n in pure}, core, text)
    d.update({n: ("helper", r) for n, r in hdrop.items()})
    d.update(helper_dropped)
    d.update(older_only(parsed, aliases, kernels, d, set(files.values()), macros))
    offs = {al: P.offs(pre[al], {n: needs[n] for n in pure}) for al in aliases}
    finish(a.out, setdir, d, roots, root_names, kernels, parsed, aliases, older,
           {n: needs[n] for n in pure}, offs)


# Drop reasons after which nothing defines the name.
UNPROVIDED = (M.Reason.KCONFIG, M.Reason.DEPENDS, M.Reason.DIFFERS, M.Reason.COMPILE,
              M.Reason.UNNAMED)


def settle(ctx, helper_dropped, dropped):
    """Selects helpers and macros to a common fixpoint: a helper is dropped as soon as a macro
    it expands is (and the macros and helpers using it with it), so a failed compile costs one
    round, not one round per link of the chain. Returns (pure helpers {name: Analysis}, helpers
    impure {name: reason}, every dropped macro {name: (reason, detail)}, kept macro names);
    `helper_dropped` grows."""
    cands, macros, src, pre, primary, kernel, needs = ctx
    provided = pre[primary].names()
    while True:
        pure, hdrop = H.select({n: h for n, h in cands.items() if n not in helper_dropped},
                               kernel.is_kernel_file)
        d = dict(dropped)
        kept = M.resolve_dependencies(macros, d, set(pure), pre, primary)
        new = {}
        for n in pure:
            # Off on the newest kernel itself: never checked, so never kept.
            missing = P.needs_met(pre[primary], needs[n])
            if missing:
                new[n] = (M.Reason.DEPENDS, f"needs `{missing}`, not in {primary}'s vmlinux.h")
                continue
            for u in sorted(src.uses(cands[n])):
                why = d.get(u, (M.Reason.KCONFIG,) if u.startswith("CONFIG_") else None)
                # Only drops that leave the name meaning nothing (`inline`, dropped as the
                # prelude's, is still the keyword).
                if why and why[0] in UNPROVIDED and u not in provided and u not in M.FORMS:
                    new[n] = (M.Reason.DEPENDS, f"uses `{u}` ({why[0]})")
                    break
        if not new:
            return pure, hdrop, d, kept
        helper_dropped.update(new)


class Needs(dict):
    """{helper: what it needs from vmlinux.h} (helpers.needs), computed on first use."""

    def __init__(self, cands):
        super().__init__()
        self.cands = cands

    def __missing__(self, name):
        self[name] = H.needs(self.cands[name])
        return self[name]


def check_round(setdir, spans, pre, aliases, consts, helper_dropped, dropped, off_dirs):
    """Compiles the written set against every compared kernel (and parses it against the
    source kernel), each with its `off_dirs` header; drops what fails. Returns (number newly
    dropped, {alias: constant values under that kernel's vmlinux.h})."""
    new = 0
    under = {}
    primary = aliases[-1]
    for al, off_dir in zip(aliases, off_dirs):
        for stage in (("compile", "parse") if al == primary else ("compile",)):
            tu = check.run(setdir, spans, pre[al], stage, consts, off_dir)
            for (kind, name), msg in check.failures(tu, setdir, spans).items():
                reason = (M.Reason.COMPILE, f"{al} ({stage}): {msg}")
                into = helper_dropped if kind == "helper" else dropped
                if name not in into:
                    into[name] = reason
                    new += 1
                    if os.environ.get("KHEADERS_VERBOSE"):
                        log(f"  {kind} {name}: {reason[1]}")
            if stage == "compile":
                under[al] = check.values(tu, consts)
    return new, under


def older_only(parsed, aliases, kernels, dropped, rels, macros):
    """{name: (reason, detail)} for macros that only older compared kernels define, in headers
    of the set (`rels`). The set follows the newest kernel: BCC tools test such names with
    `#ifdef` to choose the code for old kernels (`#ifdef REQ_WRITE`), so defining them would
    pick the old branch on new kernels."""
    out = {}
    for al in aliases[:-1]:
        for n, m in parsed[al].macros.items():
            if n in macros or n in dropped or n in out or n.startswith("CONFIG_") \
                    or kernels[al].canonical(m.file) not in rels:
                continue
            olds = [kernels[b].version for b in aliases[:-1] if n in parsed[b].macros]
            out[n] = (M.Reason.OLDER, f"only in older kernels ({', '.join(olds)}): the set "
                      "follows the newest, where BCC tools' `#ifdef` on it picks the new code")
    return out


def value_decisions(consts, macros, parsed, under, dropped, aliases):
    """Drops constants whose value differs between kernels when vmlinux.h does not explain the
    difference (then the CO-RE enumerator forms already carry it)."""
    new = 0
    for n in consts:
        if n in dropped or n in M.FORMS:
            continue
        own = {al: parsed[al].values[n] for al in aliases if n in parsed[al].values}
        if len(set(own.values())) <= 1:
            continue
        got = {al: under[al].get(n) for al in own}
        if all(got[al] == own[al] for al in own):
            continue
        listed = ", ".join(f"{al}: {v:#x}" for al, v in own.items())
        dropped[n] = (M.Reason.DIFFERS, f"differs between kernels ({listed})")
        new += 1
    return new


def finish(out, setdir, dropped, roots, root_names, kernels, parsed, aliases, older, needs,
           offs):
    if os.path.isdir(out):
        shutil.rmtree(out)
    shutil.copytree(setdir, out, ignore=shutil.ignore_patterns("__check.c", "bccc"))
    with open(os.path.join(out, "needs.tsv"), "w") as f:
        f.write("# helper\twhat it needs from vmlinux.h (generated by tools/kheaders)\n")
        for n in sorted(needs):
            f.write(f"{n}\t{' '.join(sorted(needs[n]))}\n")
    rows = []
    for n, (reason, detail) in sorted(dropped.items()):
        where = ""
        for al in reversed(aliases):  # the newest definition's header
            m = parsed[al].macros.get(n) or parsed[al].helpers.get(n)
            if m:
                where = kernels[al].canonical(m.file)
                break
        detail = " ".join(detail.split())
        rows.append((n, where or "", reason, detail[:160]))
    with open(os.path.join(out, "dropped.tsv"), "w") as f:
        f.write("# name\theader\treason\tdetail (generated by tools/kheaders)\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    write_report(out, rows, roots, root_names, kernels, older, needs, offs)


def write_report(out, rows, roots, root_names, kernels, older, needs, offs):
    counts = {}
    for _, _, reason, _ in rows:
        counts[reason] = counts.get(reason, 0) + 1
    lines = ["# Kernel header set: what was dropped and why", "",
             "Generated by `tools/kheaders/generate.py`; do not edit. Source kernel: Linux "
             f"{list(kernels.values())[-1].version}; compared: "
             + ", ".join(k.version for k in kernels.values()) + ".", "",
             f"Root headers ({len(root_names)} of the {len(roots)} names BCC's tools, examples, "
             "tests and libbpf-tools include that resolve in the kernel): "
             + ", ".join(f"`{r}`" for r in root_names) + ".", "",
             "| reason | dropped |", "|---|---|"]
    lines += [f"| {r} | {c} |" for r, c in sorted(counts.items())]
    lines += ["", f"{len(needs)} static inline helpers are kept; each is compiled only where "
              "the target's vmlinux.h has what it needs (`needs.tsv`; bccc turns the others off "
              "per kernel). Off on the compared kernels: "
              + ", ".join(f"{kernels[al].version}: {len(o)}" for al, o in offs.items()) + "."]
    lines += ["", "Constants whose newest definition reads the kernel config but whose value is "
              "the same in every compared kernel take an older kernel's config-free definition: "
              + (", ".join(f"`{n}`" for n in sorted(older)) or "none") + "."]
    lines += ["", "Every dropped name, with its header and the detail, is in `dropped.tsv` "
              "(bccc reads it to explain a missing name). The ones other than `depends`, "
              "`unnamed-header`, `older-only` and `helper`:", "",
              "| name | header | reason | detail |", "|---|---|---|---|"]
    for n, where, reason, detail in rows:
        if reason not in (M.Reason.DEPENDS, M.Reason.UNNAMED, M.Reason.OLDER, "helper"):
            lines.append(f"| `{n}` | {where} | {reason} | {detail.replace('|', '/')[:200]} |")
    with open(os.path.join(out, "DROPPED.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
