#!/usr/bin/env python3
"""bccc benchmarks: figures and ratios measured in one run, printed next to the targets.

Run by `./x.sh bench` (as root: the tools load BPF programs). Builds everything it needs:
  * bccc itself (`cargo build --release -p bccc`),
  * a vmlinux.h from this kernel's BTF (`bpftool btf dump ... format c`),
  * a hand-written libbpf C opensnoop (bench/ref/) linked statically against Debian's libbpf.

It measures:
  1. `bccc build testdata/opensnoop.c`: cold (empty cache) and warm (median of N), against
     plain `clang-19 -target bpf -O2 -g` of the same rewritten C (`bccc build --emit c`) with
     the full vmlinux.h and no precompiled header;
  2. tool start -> attached (spawn until the tool writes "Tracing... Hit Ctrl-C to end." to
     stderr) and peak RSS (/usr/bin/time), bccc-built opensnoop vs the libbpf C reference,
     median of N runs each, interleaved;
  3. the size of the bccc-built static binary.

Times are never asserted: the machine is shared and noisy, so compare the ratios of one run.
The exit status is non-zero only when something could not be built or measured at all.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF_SRC = ROOT / "bench" / "ref"
TOOL_SRC = ROOT / "testdata" / "opensnoop.c"
READY_LINE = b"Tracing... Hit Ctrl-C to end."
BTF = Path("/sys/kernel/btf/vmlinux")
CLANG = "clang-19"
LLVM_STRIP = "llvm-strip-19"
TIME = "/usr/bin/time"  # Debian package `time`
# The flags of a plain libbpf-tools style compile; the warning switches are the ones BCC-dialect
# C needs (bccc passes the same ones), so both compiles accept the same text.
CLANG_FLAGS = [
    "-target", "bpf", "-O2", "-g", "-D__TARGET_ARCH_x86",
    "-fno-stack-protector", "-fms-extensions",
    "-Wno-microsoft-anon-tag", "-Wno-unused-value", "-Wno-pointer-sign",
    "-Wno-int-conversion", "-Wno-incompatible-pointer-types",
    "-Wno-int-to-pointer-cast", "-Wno-pointer-to-int-cast", "-Wno-unknown-warning-option",
]

TARGETS = {
    "warm_build_s": 0.3,
    "ready_ms": 15.0,
    "peak_rss_mib": 8.0,
    "size_mb": 2.0,
}


class BenchError(Exception):
    """Something needed for a measurement could not be built or run."""


@dataclass
class Report:
    """Everything measured, plus what could not be, in the order it is printed."""

    figures: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    """Runs a command, raising BenchError with its output when it fails."""
    proc = subprocess.run(cmd, capture_output=True, **kw)
    if proc.returncode != 0:
        out = (proc.stdout or b"").decode(errors="replace") + (proc.stderr or b"").decode(
            errors="replace"
        )
        tail = "\n".join(out.strip().splitlines()[-25:])
        raise BenchError(f"`{' '.join(map(str, cmd))}` exited with {proc.returncode}:\n{tail}")
    return proc


def timed(cmd: list, **kw) -> float:
    """Wall time of one successful run of `cmd`, in seconds."""
    start = time.perf_counter()
    run(cmd, **kw)
    return time.perf_counter() - start


def median_time(cmd: list, runs: int, **kw) -> float:
    return statistics.median(timed(cmd, **kw) for _ in range(runs))


# ---------------------------------------------------------------------------------------------
# Building


def make_vmlinux_h(out: Path) -> Path:
    """vmlinux.h of this kernel, by bpftool (the usual libbpf-tools way)."""
    path = out / "vmlinux.h"
    if not BTF.exists():
        raise BenchError(f"{BTF} is missing: this kernel has no BTF")
    text = run(["bpftool", "btf", "dump", "file", str(BTF), "format", "c"]).stdout
    path.write_bytes(text)
    return path


def build_reference(out: Path) -> Path:
    """The hand-written libbpf opensnoop: BPF object -> skeleton -> static loader."""
    inc = ["-I", str(out), "-I", str(REF_SRC)]
    obj = out / "opensnoop.bpf.o"
    run([CLANG, "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86", *inc,
         "-c", str(REF_SRC / "opensnoop.bpf.c"), "-o", str(obj)])
    # DWARF is not needed at run time; bccc strips it from its embedded object too.
    run([LLVM_STRIP, "-g", str(obj)])
    skel = run(["bpftool", "gen", "skeleton", str(obj), "name", "opensnoop_bpf"]).stdout
    (out / "opensnoop.skel.h").write_bytes(skel)
    exe = out / "opensnoop-libbpf"
    run(["gcc", "-O2", "-static", *inc, str(REF_SRC / "opensnoop.c"), "-o", str(exe),
         "-lbpf", "-lelf", "-lz", "-lzstd"])
    run(["strip", str(exe)])
    return exe


def cargo_target_dir() -> Path:
    meta = run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT).stdout
    return Path(json.loads(meta)["target_directory"])


def build_bccc() -> Path:
    log("cargo build --release -p bccc (may take a few minutes the first time)")
    run(["cargo", "build", "--release", "-p", "bccc", "--bin", "bccc"], cwd=ROOT)
    exe = cargo_target_dir() / "release" / "bccc"
    if not exe.is_file():
        raise BenchError(f"cargo built bccc but {exe} is missing")
    return exe


def cache_env(cache: Path) -> dict:
    """An environment whose bccc cache is `cache` (also via XDG, in case the variable changes)."""
    env = dict(os.environ)
    env["BCCC_CACHE_DIR"] = str(cache)
    env["XDG_CACHE_HOME"] = str(cache / "xdg")
    return env


# ---------------------------------------------------------------------------------------------
# Measurements


def bench_build(bccc: Path, out: Path, vmlinux_h: Path, runs: int, rep: Report) -> Path:
    """Cold and warm `bccc build`, and plain clang of the rewritten C; returns the tool."""
    tool = out / "opensnoop-bccc"
    cache = Path(tempfile.mkdtemp(prefix="bccc-bench-cache-"))
    try:
        env = cache_env(cache)
        cmd = [str(bccc), "build", str(TOOL_SRC), "-o", str(tool)]
        rep.figures["cold_build_s"] = timed(cmd, env=env)
        rep.figures["warm_build_s"] = median_time(cmd, runs, env=env)
        rewritten = out / "opensnoop.rewritten.bpf.c"
        run([str(bccc), "build", str(TOOL_SRC), "--emit", "c", "-o", str(rewritten)], env=env)
        try:
            clang_cmd = plain_clang_cmd(rewritten, cache, out, vmlinux_h)
            rep.figures["plain_clang_s"] = median_time(clang_cmd, runs)
        except BenchError as e:
            rep.failures.append(f"plain clang of the rewritten C: {e}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return tool


def plain_clang_cmd(rewritten: Path, cache: Path, out: Path, vmlinux_h: Path) -> list:
    """clang of bccc's rewritten C against bpftool's vmlinux.h and /usr/include's libbpf headers.

    bccc's own small headers (`bccc/*.h`, if the C includes any) are copied from its cache; its
    vmlinux.h and libbpf headers are not, so the comparison uses the stock ones.
    """
    inc = out / "plain-clang-include"
    shutil.rmtree(inc, ignore_errors=True)
    inc.mkdir(parents=True)
    shutil.copy(vmlinux_h, inc / "vmlinux.h")
    for found in cache.rglob("bccc"):
        if found.is_dir() and any(found.glob("*.h")):
            shutil.copytree(found, inc / "bccc", dirs_exist_ok=True)
            break
    # bccc compiles with its base header (vmlinux.h + libbpf headers) included first, from a
    # precompiled header; the plain compile includes the same header as text.
    first = ["-include", "bccc/base.h"] if (inc / "bccc" / "base.h").is_file() else []
    obj = out / "opensnoop.plain-clang.bpf.o"
    cmd = [CLANG, *CLANG_FLAGS, "-I", str(inc), *first, "-c", str(rewritten), "-o", str(obj)]
    run(cmd)  # once to check it compiles at all
    return cmd


@dataclass
class StartSample:
    ready_s: float
    peak_rss_kib: int


def start_once(exe: Path, rss_file: Path, duration: str = "1",
               timeout: float = 20.0) -> StartSample:
    """Spawns `exe -d duration`, times spawn -> READY_LINE on stderr, reads its peak RSS.

    The tool runs under /usr/bin/time: a child forked from Python would inherit Python's RSS
    high-water mark (the kernel carries it across exec), so wait4's ru_maxrss here would
    report Python, not the tool. time(1) is a small C program, and its fork + exec cost is the
    same for both tools.
    """
    start = time.perf_counter()
    proc = subprocess.Popen([TIME, "-f", "%M", "-o", str(rss_file), str(exe), "-d", duration],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    fd = proc.stderr.fileno()
    seen = b""
    ready = None
    deadline = start + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            proc.kill()
            break
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            continue
        chunk = os.read(fd, 65536)
        if ready is None and chunk:
            seen += chunk
            if READY_LINE in seen:
                ready = time.perf_counter() - start
        if not chunk:  # EOF: the tool closed stderr, i.e. exited
            break
    proc.wait()
    proc.stderr.close()
    if ready is None:
        tail = seen.decode(errors="replace").strip()[-2000:]
        raise BenchError(f"{exe.name} never printed the ready line (exit {proc.returncode}):\n{tail}")
    if proc.returncode != 0:
        raise BenchError(f"{exe.name} exited with {proc.returncode}")
    try:
        rss_kib = int(rss_file.read_text().split()[-1])
    except (OSError, ValueError, IndexError) as e:
        raise BenchError(f"cannot read the peak RSS that {TIME} wrote to {rss_file}: {e}") from e
    return StartSample(ready_s=ready, peak_rss_kib=rss_kib)


def bench_start(tools: dict, runs: int, out: Path, rep: Report) -> None:
    """Interleaves the tools' runs so that machine noise hits them alike."""
    samples = {name: [] for name in tools}
    for _ in range(runs):
        for name, exe in tools.items():
            if name not in samples:
                continue  # failed before; the failure is already reported
            try:
                samples[name].append(start_once(exe, out / f"{name}.rss"))
            except BenchError as e:
                rep.failures.append(f"{name} start -> attached: {e}")
                del samples[name]
    for name, got in samples.items():
        rep.figures[f"{name}_ready_ms"] = statistics.median(s.ready_s for s in got) * 1000
        rep.figures[f"{name}_peak_rss_mib"] = statistics.median(s.peak_rss_kib for s in got) / 1024


def is_static(path: Path) -> bool:
    """True when the ELF executable has no PT_INTERP (no dynamic loader)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return all(struct.unpack_from("<I", data, phoff + i * phentsize)[0] != 3 for i in range(phnum))


# ---------------------------------------------------------------------------------------------
# Report


def verdict(value: float, target: float) -> str:
    return "meets target" if value <= target else "MISSES target"


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def print_report(rep: Report, runs: int) -> None:
    f = rep.figures.get
    lines = [f"bccc bench: one run on {os.uname().release}, medians of {runs} unless noted", ""]
    if f("warm_build_s") is not None:
        lines += [
            "bccc build testdata/opensnoop.c",
            f"  cold (empty cache, 1 run)     {f('cold_build_s'):8.3f} s",
            f"  warm                          {f('warm_build_s'):8.3f} s   target <= "
            f"{TARGETS['warm_build_s']} s: {verdict(f('warm_build_s'), TARGETS['warm_build_s'])}",
        ]
        if f("plain_clang_s") is not None:
            lines += [
                f"  plain clang -target bpf       {f('plain_clang_s'):8.3f} s   "
                "(same rewritten C, full vmlinux.h, no PCH)",
                f"  warm / plain clang            {ratio(f('warm_build_s'), f('plain_clang_s')):>8}",
                f"  cold / plain clang            {ratio(f('cold_build_s'), f('plain_clang_s')):>8}",
            ]
        lines.append("")
    lines.append("opensnoop start -> attached (spawn until 'Tracing...' on stderr), peak RSS")
    for name, label in (("bccc", "bccc-built"), ("libbpf", "libbpf C reference")):
        if f(f"{name}_ready_ms") is None:
            continue
        ready, rss = f(f"{name}_ready_ms"), f(f"{name}_peak_rss_mib")
        lines.append(f"  {label:<20} ready {ready:7.2f} ms   peak RSS {rss:6.2f} MiB")
    if f("bccc_ready_ms") is not None:
        lines += [
            f"  bccc ready: target <= {TARGETS['ready_ms']:.0f} ms: "
            f"{verdict(f('bccc_ready_ms'), TARGETS['ready_ms'])}",
            f"  bccc peak RSS: target <= {TARGETS['peak_rss_mib']:.0f} MiB: "
            f"{verdict(f('bccc_peak_rss_mib'), TARGETS['peak_rss_mib'])}",
            f"  bccc / libbpf C: ready {ratio(f('bccc_ready_ms'), f('libbpf_ready_ms'))}, "
            f"peak RSS {ratio(f('bccc_peak_rss_mib'), f('libbpf_peak_rss_mib'))}",
        ]
    lines.append("")
    lines.append("static binary size")
    for name, label in (("bccc", "bccc-built"), ("libbpf", "libbpf C reference")):
        if f(f"{name}_size_mb") is None:
            continue
        static = "static" if f(f"{name}_static") else "NOT static"
        lines.append(f"  {label:<20} {f(f'{name}_size_mb'):6.3f} MB ({static})")
    if f("bccc_size_mb") is not None:
        lines.append(f"  bccc size: target <= {TARGETS['size_mb']} MB: "
                     f"{verdict(f('bccc_size_mb'), TARGETS['size_mb'])}")
    if rep.failures:
        lines += ["", "NOT MEASURED:"] + [f"  - {msg}" for msg in rep.failures]
    print("\n".join(lines), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per median (default 10)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out",
                        help="work directory (default bench/out)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--bccc", type=Path,
                        help="use this bccc binary instead of building one with cargo")
    parser.add_argument("--reference-only", action="store_true",
                        help="measure only the libbpf C reference (no bccc build)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench: run as root (the tools load BPF programs): sudo ./x.sh bench", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    rep = Report()

    log("building the libbpf C reference (bench/ref)")
    vmlinux_h = make_vmlinux_h(out)
    ref = build_reference(out)
    tools = {}
    bccc_tool = None
    if not args.reference_only:
        try:
            bccc = args.bccc.resolve() if args.bccc else build_bccc()
            log(f"timing bccc build (1 cold + {args.runs} warm) and plain clang")
            bccc_tool = bench_build(bccc, out, vmlinux_h, args.runs, rep)
            tools["bccc"] = bccc_tool
        except BenchError as e:
            rep.failures.append(f"bccc build: {e}")
    tools["libbpf"] = ref

    log(f"timing start -> attached, {args.runs} runs per tool")
    bench_start(tools, args.runs, out, rep)
    for name, exe in tools.items():
        rep.figures[f"{name}_size_mb"] = exe.stat().st_size / 1e6
        rep.figures[f"{name}_static"] = is_static(exe)

    print_report(rep, args.runs)
    if args.json:
        args.json.write_text(json.dumps({"figures": rep.figures, "targets": TARGETS,
                                         "not_measured": rep.failures}, indent=2) + "\n")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
