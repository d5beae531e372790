#!/usr/bin/env python3
"""How much of what BCC users write bccc builds and loads: BCC's Python tools (Debian's
bpfcc-tools), BCC's examples/tracing/*.py and the programs of BCC's Python test suite
(tests/python/*.py).

Run as root from anywhere (see README.md next to this file):

    python3 bench/bcc-tools/measure.py [--bccc PATH] [--corpus tools,examples,tests] [--keep DIR]

For every program it:
  1. extracts the BPF C text of the default invocation with `bcc_shim.py` (runs the Python with
     `bcc.BPF` replaced by a recorder), which also gives the `cflags` (`-D`s passed on) and the
     attach calls (`--attach` specs); tools with `--ebpf` are also run with it, and the report
     says where it prints the same text (it does not always: see README.md);
  2. `bccc build prog.c --emit obj` (built), then `--emit bin`;
  3. runs the built tool for one second (`-d 1`): the runtime loads every program through the
     verifier (with tracepoint records described as a built tool does), then attaches. A program
     that loads but cannot attach here (no kprobes on this kernel) counts as loaded, and so does
     an fentry/fexit/LSM program the kernel refuses with EPERM before the verifier runs (this
     kernel refuses them all; the project's verifier tests count them the same way).

Writes the Markdown report to stdout and to RESULTS.md next to this file. Nothing of BCC's is
written into the repository: the tools are Debian's installed files, the examples and tests are
read from the BCC mirror into a temporary directory. Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHIM = HERE / "bcc_shim.py"
RESULTS = HERE / "RESULTS.md"
MIRROR = Path("/work/.mirror/iovisor+bcc/repo")
# The tools run under Debian's interpreter: python3-bpfcc installs `bcc` for it only.
PY = "/usr/bin/python3"
# pyroute2: BCC's test modules import it (tests/python/utils.py) before any test runs.
PACKAGES = ["bpfcc-tools", "python3-bpfcc", "python3-pyroute2"]
CORPORA = ("tools", "examples", "tests")
POOL = 2
# What a built tool prints to stderr once every program is attached.
READY = "Tracing... Hit Ctrl-C to end."

# Tools whose default invocation is a usage error: the first example of their own usage text
# (kernel function names updated where the example's no longer exists on current kernels).
# `@PID` is a process id (the shim's own: the C text does not depend on which process it is),
# `@BLOCKDEV` this machine's first disk. `None`: the tool is not run.
TOOL_ARGS: dict[str, list[str] | None] = {
    "argdist": ["-H", "p::__kmalloc(u64 size):u64:size"],
    "biolatpcts": ["@BLOCKDEV"],
    "dbslower": ["mysql", "-p", "@PID"],
    "dbstat": ["mysql", "-p", "@PID"],
    "deadlock": ["@PID"],
    "dirtop": ["-d", "/tmp"],
    "funccount": ["vfs_*"],
    "funcinterval": ["vfs_read"],
    "funclatency": ["vfs_read"],
    "funcslower": ["vfs_read"],
    "inject": ["kmalloc", "-v", "__x64_sys_mount()"],
    "mysqld_qslower": ["@PID"],
    "netqtop": ["-n", "lo"],
    "stackcount": ["submit_bio"],
    "trace": ['do_sys_openat2 "%s", arg2@user'],
    "ttysnoop": ["/dev/console"],
}
# Tools that compile no BPF program at all.
NOT_BPF = {
    "bpflist": "lists the BPF programs in use (reads /proc): no BPF program of its own",
    "tplist": "lists tracepoints and USDT probes: no BPF program of its own",
}
# The same as TOOL_ARGS for examples/tracing (file stem).
EXAMPLE_ARGS: dict[str, list[str] | None] = {
    "lbr": ["-t", "openat"],
    "mallocstacks": ["@PID"],
    "mysqld_query": ["@PID"],
    "nodejs_http_server": ["@PID"],
    "stacksnoop": ["vfs_read"],
    "strlen_snoop": ["@PID"],
}

# Test modules that take the C file as an argument (as tests/python/CMakeLists.txt runs them).
TEST_ARGS = {
    "test_brb": ["test_brb.c"],
    "test_brb2": ["test_brb2.c"],
    "test_call1": ["test_call1.c"],
    "test_stat1": ["test_stat1.c"],
    "test_trace3": ["test_trace3.c"],
    "test_xlate1": ["test_xlate1.c"],
}


@dataclass
class Program:
    """One BPF program text and what became of it."""

    corpus: str
    name: str
    origin: str
    method: str
    text: str
    defines: list = field(default_factory=list)
    specs: list = field(default_factory=list)
    unsupported: list = field(default_factory=list)
    load_funcs: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    expects_error: bool = False
    test: str | None = None
    # Results.
    built: bool = False
    diags: list = field(default_factory=list)  # (severity, code, message)
    packaged: bool = False
    loaded: bool = False
    load_class: str = ""
    load_detail: str = ""


@dataclass
class Skipped:
    """A tool or test that gave no program to build, and why."""

    corpus: str
    name: str
    reason: str


def log(msg: str) -> None:
    print(f"measure: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Setup


def ensure_packages() -> None:
    missing = []
    for pkg in PACKAGES:
        q = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg],
                           capture_output=True, text=True)
        if not q.stdout.startswith("ii"):
            missing.append(pkg)
    if not missing:
        return
    log(f"installing {' '.join(missing)} with apt (BCC's tools and its Python module)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, env=env)


def find_bccc(given: str | None) -> Path:
    if given:
        path = Path(given).resolve()
        if not path.is_file():
            sys.exit(f"measure: --bccc {given}: no such file")
        return path
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "bccc"
        if path.is_file():
            return path
    sys.exit("measure: no bccc: run `cargo build --release -p bccc` or pass --bccc PATH")


def tool_scripts() -> list[tuple[str, Path]]:
    """BCC's tools as installed: /usr/share/bcc/tools (upstream layout) or Debian's
    /usr/sbin/*-bpfcc."""
    upstream = Path("/usr/share/bcc/tools")
    if upstream.is_dir():
        return sorted((p.name, p) for p in upstream.iterdir() if p.is_file())
    return sorted((p.name[: -len("-bpfcc")], p) for p in Path("/usr/sbin").glob("*-bpfcc"))


def is_python(path: Path) -> bool:
    with open(path, "rb") as f:
        return b"python" in f.readline()


def export_mirror(prefix: str, dest: Path) -> list[str]:
    """Writes the mirror's files under `prefix` into `dest` (same relative paths)."""
    if not MIRROR.is_dir():
        sys.exit(f"measure: the BCC mirror {MIRROR} is missing")
    listing = subprocess.run(["git", "-C", str(MIRROR), "ls-tree", "-r", "HEAD", prefix],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    names = []
    for entry in listing:
        meta, name = entry.split("\t", 1)
        names.append(name)
        source = name
        if meta.startswith("120000"):  # a symlink: write what it points to
            target = subprocess.run(["git", "-C", str(MIRROR), "show", f"HEAD:{name}"],
                                    capture_output=True, text=True, check=True).stdout.strip()
            source = os.path.normpath(os.path.join(os.path.dirname(name), target))
        blob = subprocess.run(["git", "-C", str(MIRROR), "show", f"HEAD:{source}"],
                              capture_output=True, check=True).stdout
        out = dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(blob)
    return names


def mirror_commit() -> str:
    return subprocess.run(["git", "-C", str(MIRROR), "log", "-1", "--format=%h %cs"],
                          capture_output=True, text=True).stdout.strip()


# ---------------------------------------------------------------------------------------------
# Extraction


def run_isolated(cmd: list, cwd: Path, timeout: float) -> tuple[int | None, str, str]:
    """Runs `cmd` in new network, mount and PID namespaces (BCC's tests set up veth pairs and
    namespaces; none of it may touch this machine), killed whole on timeout. rc None: timed out."""
    wrapped = ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", *cmd]
    proc = subprocess.Popen(wrapped, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        rc = None
    return rc, out.decode(errors="replace"), err.decode(errors="replace")


def shim(script: Path, mode: str, args: list, work: Path, timeout: float):
    """Runs `script` under the shim: its records, and what it said last (the first line of its
    stderr, else of its stdout: where tools print why they stop)."""
    out = work / f"{script.stem}.records.jsonl"
    rc, stdout, err = run_isolated([PY, str(SHIM), str(out), mode, str(script), *args],
                                   script.parent, timeout)
    records = []
    if out.exists():
        for line in out.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # the last line of a killed run
    said = next((l.strip() for text in (err, stdout) for l in text.splitlines()
                 if l.strip() and l.isprintable()), "")
    if rc is None:
        said = f"timed out after {timeout:.0f} s; {said}"
    return records, said[:200]


def ebpf_text(script: Path, args: list, timeout: float) -> str | None:
    """`TOOL ARGS --ebpf`: the program text printed before any compile, or None."""
    rc, out, _ = run_isolated([PY, str(script), *args, "--ebpf"], script.parent, timeout)
    return out if rc == 0 and out.strip() else None


def programs_of(records: list, corpus: str, name: str, origin: str, method: str) -> list:
    """Programs from one script's records: one per non-empty `BPF(...)`."""
    progs, by_id = [], {}
    for r in records:
        if r["ev"] == "bpf" and r["text"].strip():
            suffix = f"#{len(progs) + 1}" if progs else ""
            p = Program(corpus, name + suffix, origin, method, r["text"],
                        defines=[c[2:] for c in r["cflags"] if c.startswith("-D")])
            ignored = [c for c in r["cflags"] if not c.startswith("-D")]
            if ignored:
                p.notes.append("cflags not passed: " + " ".join(ignored))
            if r.get("src_file"):
                p.notes.append(f"src_file={r['src_file']}")
            p.test = r.get("test")
            p.expects_error = r.get("expects_error", False)
            progs.append(p)
            by_id[r["id"]] = p
        elif r["ev"] == "attach" and r["bpf"] in by_id:
            p = by_id[r["bpf"]]
            if "spec" in r and r["spec"] not in p.specs:
                p.specs.append(r["spec"])
            elif "unsupported" in r:
                p.unsupported.append(f"{r['unsupported']} → {r['fn']}")
        elif r["ev"] == "load_func" and r["bpf"] in by_id:
            by_id[r["bpf"]].load_funcs.append((r["fn"], r["type"]))
    for p in progs:
        kprobe_type_only(p)
    return progs


AUTO_PREFIXES = ("kprobe__", "kretprobe__", "tracepoint__", "raw_tracepoint__", "kfunc__",
                 "kretfunc__", "lsm__", "kmod_ret__")
# Where a function loaded with load_func(fn, BPF.KPROBE) but never attached is built to: the
# program type is all the verifier needs, and loading never attaches.
KPROBE_STAND_IN = "vfs_read"


def kprobe_type_only(p: Program) -> None:
    """`load_func(fn, BPF.KPROBE)` with no attach call (BCC's tests load programs to check the
    rewriter and the verifier, and never attach them): a kprobe on a stand-in function."""
    for fn, ptype in p.load_funcs:
        if ptype != "KPROBE" or fn.startswith(AUTO_PREFIXES):
            continue
        if any(s.endswith(f"={fn}") for s in p.specs):
            continue
        p.specs.append(f"kprobe:{KPROBE_STAND_IN}={fn}")
        p.notes.append(f"load_func({fn}, KPROBE) without attach: --attach "
                       f"kprobe:{KPROBE_STAND_IN}={fn}")


def substitute(args: list) -> list:
    """Placeholders in TOOL_ARGS for values of this machine."""
    out = []
    for a in args:
        if a == "@PID":
            a = "1"  # the shim itself, in its own PID namespace
        elif a == "@BLOCKDEV":
            devs = [d.name for d in Path("/sys/block").iterdir()
                    if not d.name.startswith(("loop", "ram", "zram"))]
            a = sorted(devs)[0] if devs else "sda"
        out.append(a)
    return out


def extract_tool(name: str, script: Path, work: Path):
    """A tool's programs (or why it has none): text, cflags and attach specs from the shim;
    `--ebpf`, where the tool has it, as a cross-check of the text."""
    args = TOOL_ARGS.get(name, [])
    if args is None:
        return [], "needs a running process of a program that is not installed here"
    args = substitute(args)
    how = f"shim, args `{' '.join(args)}`" if args else "shim"
    records, tail = shim(script, "script", args, work, 60)
    progs = programs_of(records, "tools", name, str(script), how)
    ebpf = ebpf_text(script, args, 60) if b"--ebpf" in script.read_bytes() else None
    if ebpf is not None and len(progs) == 1:
        if ebpf.strip() == progs[0].text.strip():
            progs[0].method = "--ebpf" + (f", args `{' '.join(args)}`" if args else "")
        else:
            # Some tools print the text before their last `.replace()`s: BPF(text=) is what BCC
            # compiles.
            progs[0].notes.append("--ebpf prints another text (placeholders not yet replaced); "
                                  "built the BPF(text=) one")
    if progs:
        return progs, None
    if name in NOT_BPF:
        return [], NOT_BPF[name]
    end = next((r["how"] for r in records if r["ev"] == "end"), "")
    return [], f"the tool made no BPF program here ({end}): {tail}"


def extract_example(script: Path, work: Path):
    args = substitute(EXAMPLE_ARGS.get(script.stem, []))
    records, tail = shim(script, "script", args, work, 60)
    how = f"shim, args `{' '.join(args)}`" if args else "shim"
    progs = programs_of(records, "examples", script.stem, f"examples/tracing/{script.name}", how)
    if progs:
        return progs, None
    end = next((r["how"] for r in records if r["ev"] == "end"), "")
    return [], f"the example made no BPF program here ({end}): {tail}"


def extract_tests(script: Path, work: Path):
    """One program per (test method, BPF object); identical ones of one file counted once."""
    records, tail = shim(script, "unittest", TEST_ARGS.get(script.stem, []), work, 600)
    progs = programs_of(records, "tests", script.stem, f"tests/python/{script.name}", "shim")
    seen: dict = {}
    unique = []
    counts: dict = {}
    for p in progs:
        test = getattr(p, "test", None) or "module"
        n = counts[test] = counts.get(test, 0) + 1
        p.name = f"{script.stem}.{test}" + (f"#{n}" if n > 1 else "")
        key = (p.text, tuple(p.defines), tuple(p.specs))
        if key in seen:
            seen[key].notes.append(f"same program in {test}")
            continue
        seen[key] = p
        unique.append(p)
    if unique:
        return unique, None
    end = [r["how"] for r in records if r["ev"] == "end"]
    if end == ["tests done"]:
        return [], "its tests make no BPF program (or none here)"
    return [], f"no BPF program recorded: {'; '.join(end) or tail}"


def extract(corpus: str, work: Path):
    """Every program of one corpus, and what gave none."""
    jobs = []
    if corpus == "tools":
        for name, script in tool_scripts():
            if is_python(script):
                jobs.append((name, extract_tool, (name, script)))
            else:
                jobs.append((name, None, "not Python (a shell script or a wrapper of tools/lib)"))
    else:
        src = work / "bcc"
        prefix = "examples/tracing" if corpus == "examples" else "tests/python"
        if not (src / prefix).is_dir():
            export_mirror(prefix, src)
        pattern = "*.py" if corpus == "examples" else "test_*.py"
        fn = extract_example if corpus == "examples" else extract_tests
        for script in sorted((src / prefix).glob(pattern)):
            jobs.append((script.stem, fn, (script,)))
    progs, skipped = [], []
    scratch = work / "records" / corpus
    scratch.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(POOL) as pool:
        futures = []
        for name, fn, args in jobs:
            if fn is None:
                skipped.append(Skipped(corpus, name, args))
                continue
            futures.append((name, pool.submit(fn, *args, scratch)))
        for name, fut in futures:
            got, why = fut.result()
            progs.extend(got)
            if why:
                skipped.append(Skipped(corpus, name, why))
    return progs, skipped


# ---------------------------------------------------------------------------------------------
# Build and load

DIAG_HEAD = re.compile(r"^\s*(bccc::E\d+)\s*$")
DIAG_MSG = re.compile(r"^\s*([×⚠☞!]|Error:|Warning:)\s*(.*)$")
DIAG_CONT = re.compile(r"^  │ ?(.*)$")


def parse_diags(stderr: str) -> list:
    """(severity, code, message) for each diagnostic bccc rendered; the message's lines that
    the renderer wrapped (`  │ ...`) joined again."""
    lines = stderr.splitlines()
    diags = []
    for i, line in enumerate(lines):
        m = DIAG_HEAD.match(line)
        if not m:
            continue
        for j in range(i + 1, min(i + 4, len(lines))):
            mm = DIAG_MSG.match(lines[j])
            if mm:
                sev = "warning" if mm.group(1) in ("⚠", "Warning:") else "error"
                msg = [mm.group(2).strip()]
                for cont in lines[j + 1:]:
                    cm = DIAG_CONT.match(cont)
                    if not cm:
                        break
                    msg.append(cm.group(1).strip())
                diags.append((sev, m.group(1), " ".join(msg)))
                break
    if not diags and stderr.strip():
        first = next(l for l in stderr.splitlines() if l.strip())
        diags.append(("error", "(no code)", first.strip()[:200]))
    return diags


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")[:60] or "prog"


def bccc_build(bccc: Path, p: Program, src: Path, emit: str, out: Path):
    cmd = [str(bccc), "build", str(src), "--emit", emit, "-o", str(out)]
    for d in p.defines:
        cmd += ["-D", d]
    for s in p.specs:
        cmd += ["--attach", s]
    env = dict(os.environ, NO_COLOR="1")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    except subprocess.TimeoutExpired:
        return False, [("error", "(timeout)", "bccc build did not finish in 600 s")]
    return r.returncode == 0, parse_diags(r.stderr)


def elf_sections(path: Path) -> list[str]:
    """Section names of a 64-bit little-endian ELF file (the BPF object)."""
    import struct

    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return []
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    names_off = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    out = []
    for i in range(shnum):
        name = struct.unpack_from("<I", data, shoff + i * shentsize)[0]
        end = data.index(b"\0", names_off + name)
        out.append(data[names_off + name: end].decode(errors="replace"))
    return out


def load(p: Program, tool: Path, obj: Path) -> None:
    """Runs the built tool for a second: loads (verifier), attaches, stops."""
    try:
        r = subprocess.run([str(tool), "-d", "1"], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        rc, err = r.returncode, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = None, (e.stderr or b"").decode(errors="replace")
    btf_tracing = any(s.startswith(("fentry/", "fexit/", "lsm/", "fmod_ret/"))
                      for s in elf_sections(obj))
    if rc == 0 or READY in err or "error: cannot attach" in err:
        p.loaded = True
        p.load_class = "attached and ran" if READY in err else "loaded; attach failed here"
        if rc != 0:
            p.load_detail = report.error_line(err) or f"exit status {rc}"
    elif btf_tracing and "Operation not permitted" in err:
        p.loaded = True
        p.load_class = report.EPERM_CLASS
    elif rc is None:
        p.load_class = "the tool neither loaded nor stopped within 60 s"
    else:
        p.load_class, p.load_detail = report.classify_load(err)


def build_and_load(bccc: Path, p: Program, base: Path) -> Program:
    d = base / p.corpus / safe_name(p.name)
    d.mkdir(parents=True, exist_ok=True)
    src = d / f"{safe_name(p.name.split('.')[-1])}.c"
    src.write_text(p.text)
    obj = d / "prog.o"
    p.built, p.diags = bccc_build(bccc, p, src, "obj", obj)
    if not p.built:
        return p
    tool = d / "tool"
    p.packaged, diags = bccc_build(bccc, p, src, "bin", tool)
    if not p.packaged:
        p.diags = diags
        p.load_class = "bccc build --emit bin failed"
        p.load_detail = "; ".join(f"{c} {m}" for s, c, m in diags if s == "error")
        return p
    load(p, tool, obj)
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bccc", help="the bccc binary (default: target/release or target/debug)")
    ap.add_argument("--corpus", default=",".join(CORPORA),
                    help="comma-separated: tools, examples, tests (default: all)")
    ap.add_argument("--keep", help="work in this directory and keep it (default: a temporary one)")
    ap.add_argument("--output", default=str(RESULTS), help="where to write the Markdown report")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("measure: run as root (loading BPF programs needs it)")
    corpora = [c for c in args.corpus.split(",") if c]
    if any(c not in CORPORA for c in corpora):
        sys.exit(f"measure: --corpus takes {', '.join(CORPORA)}")
    ensure_packages()
    bccc = find_bccc(args.bccc)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bccc-bcc-tools-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results = {}
    try:
        for corpus in corpora:
            t0 = time.time()
            progs, skipped = extract(corpus, work)
            log(f"{corpus}: {len(progs)} programs extracted, {len(skipped)} without one "
                f"({time.time() - t0:.0f} s); building with a pool of {POOL}")
            with concurrent.futures.ThreadPoolExecutor(POOL) as pool:
                done = list(pool.map(lambda p: build_and_load(bccc, p, work / "build"), progs))
            results[corpus] = (done, skipped, time.time() - t0)
            log(f"{corpus}: done in {time.time() - t0:.0f} s")
        if args.keep:
            dump = {c: {"programs": [asdict(p) for p in r[0]],
                        "skipped": [asdict(s) for s in r[1]]} for c, r in results.items()}
            (work / "results.json").write_text(json.dumps(dump, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    meta = {
        "bccc": str(bccc),
        "commit": subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
                                 capture_output=True, text=True).stdout.strip(),
        "mirror": mirror_commit(),
        "kernel": os.uname().release,
        "bpfcc": subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bpfcc-tools"],
                                capture_output=True, text=True).stdout.strip(),
        "minutes": (time.time() - started) / 60,
    }
    text = report.markdown(results, meta)
    sys.stdout.write(text)
    Path(args.output).write_text(text)
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
