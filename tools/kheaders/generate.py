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

from kheaders import check, emit, helpers as H, kernel as KN, macros as M, prelude as P, roots as R  # noqa: E402

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
        parsed[al] = k.parse([r for r in root_names if k.resolve(r)])
        log(f"{al}: {len(parsed[al].macros)} macros, {len(parsed[al].helpers)} static functions")
    pre = {al: P.make(al, os.path.join(dirs[al][1], "btf"), a.bccc, work) for al in aliases}
    src = parsed[primary]
    files = closure(src_k, src, root_names)
    macros = {n: m for n, m in src.macros.items() if m.file in files}
    dropped = M.static_reasons(macros, pre, primary)
    for n, m in src.macros.items():
        # CONFIG_* (generated/autoconf.h) are explained by their prefix, not listed one by one.
        if m.file not in files and n not in dropped and not n.startswith("CONFIG_"):
            dropped[n] = (M.Reason.UNNAMED, "defined in a header no #include <...> name reaches")
    cands = {n: h for n, h in src.helpers.items() if h.file in files}
    core = core_enumerators(pre)
    text = emit.Source()
    helper_dropped = {}
    for rnd in range(20):
        # Re-selecting drops the callers of helpers that failed to compile in the last round.
        pure, hdrop = H.select({n: h for n, h in cands.items() if n not in helper_dropped},
                               src_k.is_kernel_file)
        kept_h = set(pure)
        d = dict(dropped)
        kept = M.resolve_dependencies(macros, d, kept_h, pre, primary)
        htexts = {n: H.render(cands[n], pure[n], text.text(cands[n].file)) for n in kept_h}
        setdir = os.path.join(work, f"set{rnd}")
        spans = emit.write(setdir, src_k, files, src.includes, [macros[n] for n in kept],
                           [cands[n] for n in kept_h], htexts, core, text)
        consts = sorted(n for n in kept if macros[n].params is None and n in src.values)
        new = 0
        under = {}
        for al in aliases:
            for stage in (("compile", "parse") if al == primary else ("compile",)):
                tu = check.run(setdir, spans, pre[al], stage, consts)
                for (kind, name), msg in check.failures(tu, setdir, spans).items():
                    reason = (M.Reason.COMPILE, f"{al} ({stage}): {msg}")
                    if kind == "helper" and name not in helper_dropped:
                        helper_dropped[name] = reason[1]
                        new += 1
                    elif kind == "macro" and name not in dropped:
                        dropped[name] = reason
                        new += 1
                if stage == "compile":
                    under[al] = check.values(tu, consts)
        new += value_decisions(consts, macros, parsed, under, dropped, aliases)
        log(f"round {rnd}: {len(kept)} macros, {len(kept_h)} helpers kept; {new} newly dropped")
        if new == 0:
            break
    else:
        # Out of rounds: write the set once more without what the last round dropped.
        pure, hdrop = H.select({n: h for n, h in cands.items() if n not in helper_dropped},
                               src_k.is_kernel_file)
        d = dict(dropped)
        kept = M.resolve_dependencies(macros, d, set(pure), pre, primary)
        htexts = {n: H.render(cands[n], pure[n], text.text(cands[n].file)) for n in pure}
        setdir = os.path.join(work, "final")
        emit.write(setdir, src_k, files, src.includes, [macros[n] for n in kept],
                   [cands[n] for n in pure], htexts, core, text)
    d.update({n: ("helper", r) for n, r in hdrop.items()})
    d.update({n: (M.Reason.COMPILE, r) for n, r in helper_dropped.items()})
    finish(a.out, setdir, d, roots, root_names, src_k, kernels, macros, parsed, aliases)


def value_decisions(consts, macros, parsed, under, dropped, aliases):
    """Drops constants whose value differs between kernels when vmlinux.h does not explain the
    difference (then the CO-RE enumerator forms already carry it)."""
    new = 0
    for n in consts:
        if n in dropped or n in M.VERSION_FORMS:
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


def finish(out, setdir, dropped, roots, root_names, kernel, kernels, macros, parsed, aliases):
    if os.path.isdir(out):
        shutil.rmtree(out)
    shutil.copytree(setdir, out, ignore=shutil.ignore_patterns("__check.c"))
    rows = []
    for n, (reason, detail) in sorted(dropped.items()):
        m = parsed[aliases[-1]].macros.get(n)
        where = kernel.canonical(m.file) if m else ""
        detail = " ".join(detail.split())
        rows.append((n, where or "", reason, detail[:160]))
    with open(os.path.join(out, "dropped.tsv"), "w") as f:
        f.write("# name\theader\treason\tdetail (generated by tools/kheaders)\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    write_report(out, rows, roots, root_names, kernels)


def write_report(out, rows, roots, root_names, kernels):
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
    lines += ["", "Every dropped name, with its header and the detail, is in `dropped.tsv` "
              "(bccc reads it to explain a missing name). The ones other than `depends`, "
              "`unnamed-header` and `helper`:", "", "| name | header | reason | detail |",
              "|---|---|---|---|"]
    for n, where, reason, detail in rows:
        if reason not in (M.Reason.DEPENDS, M.Reason.UNNAMED, "helper"):
            lines.append(f"| `{n}` | {where} | {reason} | {detail.replace('|', '/')[:200]} |")
    with open(os.path.join(out, "DROPPED.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
