#!/usr/bin/env python3
"""Runs a BCC Python program with `bcc.BPF` and `bcc.USDT` replaced by recorders.

    python3 bcc_shim.py OUT.jsonl script   PROGRAM.py [ARGS...]
    python3 bcc_shim.py OUT.jsonl unittest TEST_MODULE.py [ARGS...]

Nothing is compiled or loaded: every `BPF(text=... | src_file=..., cflags=[...])` the program
makes is written to OUT.jsonl (one JSON object a line, flushed at once, so a run that is killed
keeps what it recorded), and so is every attach call made on it (`attach_kprobe`,
`attach_tracepoint`, `attach_uprobe`, `USDT.enable_probe`, ...), already turned into bccc's
`--attach KIND:TARGET=FN` syntax where one exists. The rest of the real `bcc` package (static
methods that read /proc and tracefs, constants, `bcc.utils`) stays, so the program takes the
path it would take on this machine.

`script` runs PROGRAM.py as `__main__` (its default invocation with ARGS) and stops at the first
call that would wait for events (a poll, `trace_print`, `sleep`, ...) once a BPF object exists.
`unittest` imports TEST_MODULE.py and runs each `TestCase` method on its own, recording which
test made each program and whether the test expects BCC to refuse it (the `BPF(...)` call stands
inside an `assertRaises` block or call of the test).

Records: {"ev": "bpf", "id", "test", "text", "src_file", "cflags", "expects_error"}, {"ev": "attach", "bpf",
"fn", "spec"} or {"ev": "attach", "bpf", "fn", "unsupported"}, {"ev": "load_func", "bpf",
"fn", "type"}, {"ev": "test", "name", "outcome"}, {"ev": "end", "how"}.
Standard library and the installed `bcc` package only.
"""

import ast
import builtins
import json
import os
import runpy
import shutil
import signal
import sys
import time
import traceback
import types
import unittest

OUT = None
MODE = "script"
CURRENT_TEST = [None]
INSTANCES = []
REAL_SLEEP = time.sleep


def emit(**rec):
    OUT.write(json.dumps(rec) + "\n")
    OUT.flush()


def s(v):
    """BCC takes str or bytes everywhere: one str for the records."""
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


class Stop(Exception):
    """Raised in unittest mode where a test would wait for events."""


def finish(how):
    """Where the program would start waiting for events: the recording is complete."""
    if MODE == "script":
        emit(ev="end", how=how)
        OUT.close()
        os._exit(0)
    raise Stop(how)


class Anything:
    """Stands for tables, table entries and other objects the program reads back: every
    attribute, call and item is another Anything; it iterates as empty and counts as 0."""

    value = 0

    def __init__(self, *a, **k):
        pass

    def __call__(self, *a, **k):
        return Anything()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Anything()

    def __getitem__(self, k):
        return Anything()

    def __setitem__(self, k, v):
        pass

    def __delitem__(self, k):
        pass

    def __contains__(self, k):
        return False

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __bool__(self):
        return False

    def __int__(self):
        return 0

    def __index__(self):
        return 0

    def __float__(self):
        return 0.0

    def __str__(self):
        return ""

    def __lt__(self, o):
        return False

    __gt__ = __le__ = __ge__ = __lt__

    def __eq__(self, o):
        return isinstance(o, Anything)

    def __hash__(self):
        return 0

    def __add__(self, o):
        return 0

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __add__
    __truediv__ = __floordiv__ = __mod__ = __and__ = __or__ = __add__


def install():
    import bcc
    import bcc.usdt

    real = bcc.BPF
    prog_types = {
        v: n for n, v in vars(bcc.BPFProgType).items() if n.isupper() and isinstance(v, int)
    }

    class FakeFunc:
        def __init__(self, bpf, name, ptype):
            self.bpf, self.name, self.fd, self.type = bpf, name, -1, ptype

    class BPF(real):
        def __init__(self, src_file=b"", hdr_file=b"", text=None, debug=0, cflags=(),
                     usdt_contexts=(), allow_rlimit=True, device=None,
                     attach_usdt_ignore_pid=False, **_):
            # Attributes the inherited methods read.
            for attr in ("kprobe_fds", "uprobe_fds", "tracepoint_fds", "raw_tracepoint_fds",
                         "kfunc_entry_fds", "kfunc_exit_fds", "lsm_fds", "perf_buffers",
                         "open_perf_events", "funcs", "tables"):
                setattr(self, attr, {})
            self._ringbuf_manager = None
            self.tracefile = None
            self.module = None
            self.debug = debug
            self.id = len(INSTANCES) + 1
            self.opened = {"kprobe": 0, "uprobe": 0, "tracepoint": 0}
            INSTANCES.append(self)
            src = s(src_file)
            body = s(text)
            if src:
                path = src
                if not os.path.isfile(path):
                    path = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), src)
                with open(path, "rb") as f:
                    body = f.read().decode("utf-8", "replace")
            emit(ev="bpf", id=self.id, test=CURRENT_TEST[0], text=body, src_file=src,
                 cflags=[s(c) for c in cflags], expects_error=inside_assert_raises())
            for u in usdt_contexts:
                for probe, fn in getattr(u, "enabled", []):
                    self._spec(fn, "usdt:%s:%s" % (u.binary, probe))

        def _spec(self, fn, spec):
            emit(ev="attach", bpf=self.id, fn=s(fn), spec="%s=%s" % (spec, s(fn)))

        def _unsupported(self, fn, call):
            emit(ev="attach", bpf=self.id, fn=s(fn), unsupported=call)

        def __del__(self):
            pass

        def cleanup(self):
            pass

        def close(self):
            pass

        def __getattr__(self, name):
            # Methods of newer BCC versions than the installed one.
            if name.startswith("__"):
                raise AttributeError(name)
            return Anything()

        def load_func(self, func_name, prog_type, device=None, attach_type=-1, **_):
            emit(ev="load_func", bpf=self.id, fn=s(func_name),
                 type=prog_types.get(prog_type, str(prog_type)))
            return FakeFunc(self, func_name, prog_type)

        def load_funcs(self, prog_type=real.KPROBE):
            return []

        def attach_kprobe(self, event=b"", event_off=0, fn_name=b"", event_re=b"", **_):
            if s(event_re):
                self._spec(fn_name, "kprobe:re:%s" % s(event_re))
            else:
                self._spec(fn_name, "kprobe:%s" % s(event))
            self.opened["kprobe"] += 1
            return self

        def attach_kretprobe(self, event=b"", fn_name=b"", event_re=b"", maxactive=0, **_):
            if s(event_re):
                self._spec(fn_name, "kretprobe:re:%s" % s(event_re))
            else:
                self._spec(fn_name, "kretprobe:%s" % s(event))
            self.opened["kprobe"] += 1
            return self

        def attach_tracepoint(self, tp=b"", tp_re=b"", fn_name=b"", **_):
            tps = [s(tp)] if s(tp) else [s(t) for t in real.get_tracepoints(tp_re)]
            for t in tps:
                self._spec(fn_name, "tracepoint:%s" % t)
            if not tps:
                self._unsupported(fn_name, "attach_tracepoint(tp_re=%s): nothing matches here"
                                  % s(tp_re))
            self.opened["tracepoint"] += len(tps)
            return self

        def attach_raw_tracepoint(self, tp=b"", fn_name=b"", **_):
            self._spec(fn_name, "raw_tracepoint:%s" % s(tp))
            return self

        def attach_kfunc(self, fn_name=b"", **_):
            return self

        def attach_kretfunc(self, fn_name=b"", **_):
            return self

        def attach_lsm(self, fn_name=b"", **_):
            return self

        def _uprobe(self, kind, name, sym, sym_re, addr, fn_name):
            name = s(name)
            if addr is not None:
                target = hex(addr)
            elif s(sym):
                target = s(sym)
            else:
                self._unsupported(fn_name, "%s(name=%s, sym_re=%s)" % (kind, name, s(sym_re)))
                return
            self._spec(fn_name, "%s:%s:%s" % (kind, name, target))
            self.opened["uprobe"] += 1

        def attach_uprobe(self, name=b"", sym=b"", sym_re=b"", addr=None, fn_name=b"", **_):
            self._uprobe("uprobe", name, sym, sym_re, addr, fn_name)
            return self

        def attach_uretprobe(self, name=b"", sym=b"", sym_re=b"", addr=None, fn_name=b"", **_):
            self._uprobe("uretprobe", name, sym, sym_re, addr, fn_name)
            return self

        def attach_perf_event(self, ev_type=-1, ev_config=-1, fn_name=b"", sample_period=0,
                              sample_freq=0, **_):
            how = "freq=%d" % sample_freq if sample_freq else "period=%d" % sample_period
            self._spec(fn_name, "perf_event:%d:%d:%s" % (ev_type, ev_config, how))
            return self

        def attach_perf_event_raw(self, attr=-1, fn_name=b"", **_):
            self._unsupported(fn_name, "attach_perf_event_raw")
            return self

        @staticmethod
        def attach_xdp(dev, fn, flags=0):
            emit(ev="attach", bpf=fn.bpf.id, fn=s(fn.name), unsupported="attach_xdp")

        @staticmethod
        def remove_xdp(dev, flags=0):
            pass

        @staticmethod
        def attach_raw_socket(fn, dev):
            emit(ev="attach", bpf=fn.bpf.id, fn=s(fn.name), unsupported="attach_raw_socket")

        @staticmethod
        def attach_func(fn, attachable_fd, attach_type, flags=0):
            emit(ev="attach", bpf=fn.bpf.id, fn=s(fn.name), unsupported="attach_func")

        def get_table(self, name, keytype=None, leaftype=None, reducer=None):
            return Anything()

        def __getitem__(self, key):
            return Anything()

        def __setitem__(self, key, leaf):
            pass

        def __delitem__(self, key):
            pass

        def __iter__(self):
            return iter(())

        def __len__(self):
            return 0

        def num_open_kprobes(self):
            return self.opened["kprobe"]

        def num_open_uprobes(self):
            return self.opened["uprobe"]

        def num_open_tracepoints(self):
            return self.opened["tracepoint"]

        def perf_buffer_poll(self, timeout=-1):
            finish("perf_buffer_poll")

        def perf_buffer_consume(self):
            finish("perf_buffer_consume")

        def ring_buffer_poll(self, timeout=-1):
            finish("ring_buffer_poll")

        def ring_buffer_consume(self):
            finish("ring_buffer_consume")

        def kprobe_poll(self, timeout=-1):
            finish("kprobe_poll")

        def trace_print(self, fmt=None):
            finish("trace_print")

        def trace_fields(self, nonblocking=False):
            finish("trace_fields")

        def trace_readline(self, nonblocking=False):
            finish("trace_readline")

        def trace_open(self, nonblocking=False):
            return Anything()

        def dump_func(self, func_name):
            return b""

        def decode_table(self, table_name, sizeinfo=False):
            return Anything()

    class USDT:
        def __init__(self, pid=None, path=None):
            self.pid, self.path = pid, s(path)
            self.enabled = []
            if self.path:
                self.binary = self.path
            else:
                try:
                    self.binary = os.readlink("/proc/%d/exe" % int(pid))
                except (OSError, TypeError, ValueError):
                    self.binary = "/proc/%s/exe" % pid

        def enable_probe(self, probe, fn_name):
            probe = s(probe)
            if ":" not in probe:
                probe = ":" + probe  # any provider, as BCC matches it
            self.enabled.append((probe, s(fn_name)))

        def enable_probe_or_bail(self, probe, fn_name):
            self.enable_probe(probe, fn_name)

        def get_context(self):
            return None

        def get_text(self):
            return ""

        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return Anything()

    bcc.BPF = BPF
    bcc.USDT = USDT
    bcc.usdt.USDT = USDT


class FakeCurses(types.ModuleType):
    """Full-screen tools (cachetop) build their program inside `curses.wrapper`: run it on a
    screen that accepts everything, with no terminal."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Anything()

    @staticmethod
    def wrapper(fn, *a, **k):
        return fn(Anything(), *a, **k)


def patch_environment():
    """What differs on this machine from one where the tools run: no debugfs (BCC reads the
    kprobe blacklist there and dies without it), no terminal for curses."""
    import bcc

    blacklist = os.path.join(bcc.DEBUGFS, "kprobes", "blacklist")
    if not os.access(blacklist, os.R_OK):
        fake = os.path.join(os.path.dirname(os.path.abspath(OUT.name)), "debugfs")
        os.makedirs(os.path.join(fake, "kprobes"), exist_ok=True)
        open(os.path.join(fake, "kprobes", "blacklist"), "w").close()
        bcc.DEBUGFS = fake
    sys.modules["curses"] = FakeCurses("curses")
    # The mirror's examples may call what the installed (older) bcc lacks.
    import bcc.perf

    if not hasattr(bcc.perf.Perf, "perf_custom_event_open"):
        bcc.perf.Perf.perf_custom_event_open = staticmethod(lambda *a, **k: -1)


def patch_waits():
    def sleep(secs=0):
        if INSTANCES and MODE == "script":
            finish("sleep")
        REAL_SLEEP(min(secs, 0.01))

    def pause():
        if INSTANCES and MODE == "script":
            finish("pause")

    def read_input(*a):
        if INSTANCES and MODE == "script":
            finish("input")
        return ""

    time.sleep = sleep
    signal.pause = pause
    builtins.input = read_input


def run_script(path, args):
    sys.argv = [path] + args
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    how = "exit"
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        how = "exit %s" % (e.code,)
    except BaseException as e:  # the program's own error: the records so far stand
        how = "exception: %s" % "".join(traceback.format_exception_only(type(e), e)).strip()
    emit(ev="end", how=how)


RAISES_SPANS = {}


def raises_spans(filename):
    """Line spans of `with self.assertRaises...:` blocks and `self.assertRaises...(...)` calls."""
    if filename not in RAISES_SPANS:
        spans = []
        try:
            with open(filename) as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, ValueError):
            tree = None
        for node in ast.walk(tree) if tree else ():
            calls = []
            if isinstance(node, ast.With):
                calls = [i.context_expr for i in node.items]
            elif isinstance(node, ast.Call):
                calls = [node]
            for c in calls:
                if (isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                        and c.func.attr.startswith("assertRaises")):
                    spans.append((node.lineno, node.end_lineno))
        RAISES_SPANS[filename] = spans
    return RAISES_SPANS[filename]


def inside_assert_raises():
    """Whether the test expects this BPF() to fail: a frame of the test module stands inside an
    assertRaises block or call."""
    if MODE != "unittest":
        return False
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == "bcc_test_module":
            line = frame.f_lineno
            if any(a <= line <= b for a, b in raises_spans(frame.f_code.co_filename)):
                return True
        frame = frame.f_back
    return False


class Recorder(unittest.TestResult):
    def startTest(self, test):
        super().startTest(test)
        CURRENT_TEST[0] = "%s.%s" % (type(test).__name__, test._testMethodName)
        signal.alarm(10)

    def stopTest(self, test):
        signal.alarm(0)
        outcome = "ok"
        for kind, items in (("fail", self.failures), ("error", self.errors),
                            ("skip", self.skipped)):
            if any(t is test for t, _ in items):
                outcome = kind
        emit(ev="test", name=CURRENT_TEST[0], outcome=outcome)
        super().stopTest(test)


def run_unittest(path, args):
    sys.argv = [path] + args
    # Tests skip themselves unless the workload tools they run (iperf, netperf, arping) are
    # installed; the programs they would build do not depend on them.
    real_which = shutil.which
    shutil.which = lambda name, *a, **k: real_which(name, *a, **k) or "/bin/true"
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))

    def alarm(*_):
        raise Stop("timeout")

    signal.signal(signal.SIGALRM, alarm)
    try:
        ns = runpy.run_path(path, run_name="bcc_test_module")
    except BaseException as e:
        msg = "".join(traceback.format_exception_only(type(e), e)).strip()
        emit(ev="end", how="import failed: %s" % msg)
        return
    loader = unittest.TestLoader()
    for value in list(ns.values()):
        if (isinstance(value, type) and issubclass(value, unittest.TestCase)
                and value.__module__ == "bcc_test_module"):
            CURRENT_TEST[0] = "%s.setUpClass" % value.__name__
            try:
                loader.loadTestsFromTestCase(value).run(Recorder())
            except BaseException as e:
                emit(ev="end", how="class %s: %s" % (value.__name__, e))
    emit(ev="end", how="tests done")


def main():
    global OUT, MODE
    OUT = open(sys.argv[1], "w")
    MODE = sys.argv[2]
    install()
    patch_environment()
    patch_waits()
    if MODE == "script":
        run_script(sys.argv[3], sys.argv[4:])
    else:
        run_unittest(sys.argv[3], sys.argv[4:])
    OUT.close()
    # Threads or atexit handlers of the program must not keep us alive.
    os._exit(0)


if __name__ == "__main__":
    main()
