"""measure.py's results → failure classes → the Markdown report (RESULTS.md).

A build failure's class is its diagnostic code and the first line of its message with the
quoted parts (identifiers, types, names) replaced by ‹X› and numbers by N; the quoted parts are
counted per class. A load failure's class is what the runtime said (verifier refusal and errno,
libbpf's error) and the verifier's or libbpf's last telling log line, normalized the same way.
"""

from __future__ import annotations

import re
import time
from collections import Counter

QUOTED = re.compile(r"`([^`]*)`|'([^']*)'|\"([^\"]*)\"")
NUMBER = re.compile(r"(?<![A-Za-z_0-9.])-?(0x[0-9a-fA-F]+|\d+)(?![A-Za-z_0-9])")
REGISTER = re.compile(r"\bR\d+\b")
# Verifier log lines that are context, not the reason.
CONTEXT = re.compile(r"^(\d+: |; |processed |verification time|stack depth|-- |mark_precise|"
                     r"last_idx|regs=|parent |from \d+ to|func#|libbpf: prog '.*': -- |R\d+=|"
                     r"\s*$)")


EPERM_CLASS = "loaded up to the kernel's EPERM for fentry/fexit/LSM (as the tests count)"
LOADED_SHORT = {
    "attached and ran": "yes, ran",
    "loaded; attach failed here": "yes, no attach here",
    EPERM_CLASS: "yes, fentry EPERM",
}


def normalize(msg: str) -> tuple[str, list]:
    """The message with quoted parts as ‹X› and numbers as N, and the quoted parts."""
    found = []

    def quoted(m):
        found.append(next(g for g in m.groups() if g is not None))
        return "‹X›"

    text = QUOTED.sub(quoted, msg)
    text = NUMBER.sub("N", text)
    return text.strip(), found


def error_line(stderr: str) -> str:
    """The runtime's first `error:` line, or its last line."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for line in lines:
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    return lines[-1] if lines else ""


def telling_line(lines: list) -> str:
    """The last log line that states a reason rather than context."""
    for line in reversed(lines):
        text = re.sub(r"^libbpf: (prog '[^']*': )?", "", line.strip())
        if text and not CONTEXT.match(text):
            return text
    return lines[-1].strip() if lines else ""


def classify_load(stderr: str) -> tuple[str, str]:
    """(class, detail) of a tool that did not load."""
    lines = stderr.splitlines()
    first = error_line(stderr)
    tail_at = next((i for i, l in enumerate(lines) if "log (last lines):" in l), None)
    tail = lines[tail_at + 1:] if tail_at is not None else []
    if "the kernel refused to load probe" in first:
        errno = first.rsplit(": ", 1)[-1].strip()
        why = telling_line(tail)
        cls = f"verifier: {errno} — {REGISTER.sub('R', normalize(why)[0])}"
        return cls, f"{first} | {why}"
    if first.startswith("loading the BPF object failed"):
        why = telling_line(tail)
        return f"libbpf: {normalize(first)[0]} — {normalize(why)[0]}", f"{first} | {why}"
    return normalize(first)[0] or "(no message)", first


def build_classes(progs: list) -> list:
    """[(class, [programs], Counter of quoted parts, programs whose first error it is)]."""
    classes: dict = {}
    for p in progs:
        if p.built and p.packaged:
            continue
        errors = [(c, m) for s, c, m in p.diags if s == "error"] or [("(none)", "no diagnostic")]
        for i, (code, msg) in enumerate(errors):
            text, parts = normalize(msg)
            key = f"{code} {text}"
            entry = classes.setdefault(key, [key, [], Counter(), 0])
            if p.name not in entry[1]:
                entry[1].append(p.name)
                entry[3] += i == 0
            entry[2].update(parts)
    return sorted(classes.values(), key=lambda e: (-len(e[1]), -e[3], e[0]))


def load_classes(progs: list) -> list:
    classes: dict = {}
    for p in progs:
        if p.built and p.packaged and not p.loaded:
            classes.setdefault(p.load_class, []).append(p)
    return sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def only_unattached(p) -> bool:
    codes = {c for s, c, _ in p.diags if s == "error"}
    return not p.built and codes == {"bccc::E0207"}


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f}%)" if d else "0/0"


def counted(progs: list) -> list:
    """The programs that count: not those BCC's own tests expect BCC to refuse."""
    return [p for p in progs if not p.expects_error]


def summary_row(corpus: str, progs: list, skipped: list, secs: float) -> str:
    ps = counted(progs)
    built = [p for p in ps if p.built]
    loaded = [p for p in ps if p.loaded]
    e207 = [p for p in ps if only_unattached(p)]
    refused = [p for p in built if p.packaged and not p.loaded]
    return (f"| {corpus} | {len(ps)} | {len(skipped)} | {pct(len(built), len(ps))} | "
            f"{pct(len(loaded), len(ps))} | {pct(len(refused), len(built))} | "
            f"{len(e207)} | {pct(len(built) + len(e207), len(ps))} | {secs / 60:.1f} min |")


def names(items: list, limit: int = 40) -> str:
    items = sorted(items)
    more = f", … {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(f"`{n}`" for n in items[:limit]) + more


def build_section(progs: list) -> list:
    out = ["### Build failures by class", ""]
    failed = [p for p in counted(progs) if not (p.built and p.packaged)]
    if not failed:
        return out + ["None.", ""]
    out += [f"{len(failed)} programs failed to build; a program with several errors is under "
            "each of its classes (the count in parentheses: programs where it is the first "
            "error).", ""]
    for key, members, parts, first in build_classes(counted(progs)):
        top = ", ".join(f"`{k}` ×{v}" for k, v in parts.most_common(8))
        out.append(f"- **{key}** — {len(members)} ({first}): {names(members)}")
        if top:
            out.append(f"  - quoted: {top}")
    return out + [""]


def load_section(progs: list) -> list:
    out = ["### Load failures by class", ""]
    groups = load_classes(counted(progs))
    if not groups:
        return out + ["None.", ""]
    for cls, members in groups:
        out.append(f"- **{cls}** — {len(members)}: {names([p.name for p in members])}")
        for p in sorted(members, key=lambda p: p.name)[:3]:
            out.append(f"  - `{p.name}`: {p.load_detail[:300]}")
    return out + [""]


def program_table(progs: list) -> list:
    out = ["<details><summary>Every program</summary>", "",
           "| program | text from | -D / --attach | built | loaded | first failure |",
           "|---|---|---|---|---|---|"]
    for p in sorted(progs, key=lambda p: p.name):
        errors = [f"{c} {m}" for s, c, m in p.diags if s == "error"]
        why = errors[0] if errors else ("" if p.loaded else p.load_class)
        if p.expects_error:
            why = "(BCC's test expects BCC to refuse it) " + why
        flags = f"{len(p.defines)} / {len(p.specs)}"
        if p.unsupported:
            flags += f" (+{len(p.unsupported)} attach without a bccc spec)"
        cell = why.replace("|", "\\|")[:160]
        loaded = LOADED_SHORT.get(p.load_class, "yes") if p.loaded else "no"
        out.append(f"| `{p.name}` | {p.method} | {flags} | {'yes' if p.built else 'no'} | "
                   f"{loaded} | {cell} |")
    return out + ["", "</details>", ""]


def corpus_section(corpus: str, progs: list, skipped: list) -> list:
    out = [f"## {corpus}", ""]
    out += build_section(progs)
    out += load_section(progs)
    if skipped:
        out += ["### No program to build", ""]
        for s in sorted(skipped, key=lambda s: s.name):
            out.append(f"- `{s.name}`: {s.reason[:240]}")
        out.append("")
    expected = [p for p in progs if p.expects_error]
    if expected:
        out += ["### Not counted: programs BCC's own tests expect BCC to refuse", "",
                names([p.name for p in expected], 100), ""]
    unsupported = [p for p in progs if p.unsupported]
    if unsupported:
        out += ["### Attach calls with no bccc `--attach` kind", ""]
        for p in sorted(unsupported, key=lambda p: p.name):
            out.append(f"- `{p.name}`: {'; '.join(p.unsupported)[:240]}")
        out.append("")
    notes = [p for p in progs if p.notes]
    if notes:
        out += ["<details><summary>Notes on extraction</summary>", ""]
        for p in sorted(notes, key=lambda p: p.name):
            out.append(f"- `{p.name}`: {'; '.join(p.notes)[:300]}")
        out += ["", "</details>", ""]
    return out + program_table(progs)


def overall_classes(results: dict) -> list:
    allp = [p for progs, _, _ in results.values() for p in counted(progs)]
    out = ["## Top failure classes over all corpora", "",
           "| # | class | programs | first error in | tools | examples | tests | most quoted |",
           "|---|---|---|---|---|---|---|---|"]
    rows = []
    for key, members, parts, first in build_classes(allp):
        per = Counter(p.corpus for p in allp if p.name in members)
        top = ", ".join(f"`{k}`" for k, _ in parts.most_common(4))
        rows.append((len(members), first, key, per, top))
    for cls, members in load_classes(allp):
        per = Counter(p.corpus for p in members)
        rows.append((len(members), len(members), f"load: {cls}", per, ""))
    rows.sort(key=lambda r: (-r[0], -r[1]))
    for i, (n, first, key, per, top) in enumerate(rows, 1):
        out.append(f"| {i} | {key.replace('|', '/')} | {n} | {first} | {per['tools']} | "
                   f"{per['examples']} | {per['tests']} | {top} |")
    out += ["", "*programs*: programs with this error; *first error in*: programs where it is "
            "the first error bccc reports (the others may be consequences of an earlier one)."]
    return out + [""]


def markdown(results: dict, meta: dict) -> str:
    out = ["# bccc on what BCC users write", "",
           f"Measured by `bench/bcc-tools/measure.py` on {time.strftime('%Y-%m-%d')}: bccc at "
           f"`{meta['commit']}`, kernel {meta['kernel']}, Debian bpfcc-tools {meta['bpfcc']} "
           f"(tools), BCC mirror {meta['mirror']} (examples/tracing, tests/python); "
           f"{meta['minutes']:.0f} min in all. See README.md for what is measured and how.", "",
           "| corpus | programs | scripts without one | built | loaded | built, refused at load "
           "| failed only for E0207 | built, not counting E0207 | time |",
           "|---|---|---|---|---|---|---|---|---|"]
    for corpus, (progs, skipped, secs) in results.items():
        out.append(summary_row(corpus, progs, skipped, secs))
    out += ["", "*built*: `bccc build --emit obj` succeeded. *loaded*: every program of the "
            "built tool passed the verifier (attach failures here, where kprobes do not exist, "
            "do not count against it). *failed only for E0207*: every error was \"nothing says "
            "where to attach\" (a function the Python attaches in a way bccc has no `--attach` "
            "kind for, or loads with `load_func` only).", ""]
    if len(results) > 1:
        out += overall_classes(results)
    for corpus, (progs, skipped, _) in results.items():
        out += corpus_section(corpus, progs, skipped)
    return "\n".join(out).rstrip() + "\n"
