//! Live tests (root): each compiles a fixture BPF program, runs the runtime in-process against
//! this kernel while a workload runs, and checks what it printed and that nothing stays loaded.

mod common;

use std::fs::File;
use std::io::Read;
use std::time::Duration;

use bccc_manifest::{Display, Manifest, MapKind, Param, ParamType, ParamValue};
use common::*;

fn param_u32(name: &str, flag: &str, offset: u32) -> Param {
    Param {
        name: name.into(),
        flag: flag.into(),
        ty: ParamType::Int {
            size: 4,
            signed: false,
        },
        default: ParamValue::Uint(0),
        section: ".rodata".into(),
        offset,
        help: String::new(),
        builtin: None,
    }
}

#[test]
fn tracepoint_perf_buffer_events_show_pid_comm_and_path() {
    let m = opensnoop_manifest();
    let path = format!("/tmp/bccc-rt-open-{}", std::process::id());
    let opened = path.clone();
    let o = run_with(
        &m,
        &compile_bpf("opensnoop"),
        &["-d", "1.5"],
        move |ready, args| {
            args.send(vec![]).unwrap();
            if wait_ready(&ready) {
                for _ in 0..3 {
                    let _ = File::open(&opened);
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        },
    );
    assert_eq!(o.status, 0, "stderr: {}", o.err);
    assert!(o.err.contains("Tracing... Hit Ctrl-C to end."), "{}", o.err);
    assert_eq!(
        o.out.lines().next(),
        Some("PID     COMM             FILENAME"),
        "{}",
        o.out
    );
    let pid = std::process::id().to_string();
    let hits: Vec<&str> = o.out.lines().filter(|l| l.ends_with(&path)).collect();
    assert!(hits.len() >= 3, "expected 3 opens of {path} in:\n{}", o.out);
    for h in hits {
        let cols: Vec<&str> = h.split_whitespace().collect();
        assert_eq!(cols, [pid.as_str(), "bccc-worker", path.as_str()], "{h}");
    }
    assert_unloaded(&["snoop_openat"]);
}

/// The manifest of fixtures/counts.bpf.c: getppid calls counted per (pid, comm).
fn counts_manifest(tool: &str, params: Vec<Param>) -> Manifest {
    let key = strukt(
        "pid_key",
        20,
        vec![("pid", 0, uint(4)), ("comm", 4, chars(16))],
    );
    manifest(
        tool,
        vec![program(
            "count_getppid",
            "tracepoint/syscalls/sys_enter_getppid",
            "tracepoint:syscalls:sys_enter_getppid",
            22,
        )],
        vec![map(
            "counts",
            MapKind::Hash,
            Some(key),
            Some(uint(8)),
            Display::Counts,
        )],
        params,
    )
}

#[test]
fn hash_map_counts_table_with_params_and_trace_printk() {
    let echo = Param {
        name: "echo".into(),
        flag: "echo".into(),
        ty: ParamType::Bool,
        default: ParamValue::Bool(false),
        section: ".rodata".into(),
        offset: 4,
        help: "Echo every call through bpf_printk".into(),
        builtin: None,
    };
    let mut m = counts_manifest("counts", vec![param_u32("targ_tid", "targ-tid", 0), echo]);
    m.trace_printk = true;
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let o = run_with(
        &m,
        &compile_bpf("counts"),
        &["-d", "1.5", "--echo"],
        move |ready, args| {
            let tid = gettid();
            tid_tx.send(tid).unwrap();
            args.send(vec!["--targ-tid".into(), tid.to_string()])
                .unwrap();
            if wait_ready(&ready) {
                for _ in 0..7 {
                    let _ = std::os::unix::process::parent_id();
                }
            }
        },
    );
    assert_eq!(o.status, 0, "stderr: {}", o.err);
    let tid = tid_rx.recv().unwrap();
    let table: Vec<&str> = o.out.lines().filter(|l| !l.contains("bccc-echo")).collect();
    assert_eq!(
        table[0].split_whitespace().collect::<Vec<_>>(),
        ["PID", "COMM", "COUNT"],
        "{}",
        o.out
    );
    let pid = std::process::id().to_string();
    assert_eq!(
        table[1].split_whitespace().collect::<Vec<_>>(),
        [pid.as_str(), "bccc-worker", "7"],
        "{}",
        o.out
    );
    assert_eq!(
        table.len(),
        2,
        "only the target thread is counted:\n{}",
        o.out
    );
    let echoes = o
        .out
        .lines()
        .filter(|l| l.contains(&format!("bccc-echo tid={tid}")))
        .count();
    assert_eq!(echoes, 7, "trace_pipe lines:\n{}", o.out);
    assert_unloaded(&["count_getppid"]);
}

#[test]
fn interval_prints_and_clears_tables() {
    let m = counts_manifest("intervals", vec![param_u32("targ_tid", "targ-tid", 0)]);
    let o = run_with(
        &m,
        &compile_bpf("counts"),
        &["-i", "0.4", "-d", "1.3"],
        |ready, args| {
            args.send(vec!["--targ-tid".into(), gettid().to_string()])
                .unwrap();
            if wait_ready(&ready) {
                for _ in 0..3 {
                    let _ = std::os::unix::process::parent_id();
                }
            }
        },
    );
    assert_eq!(o.status, 0, "stderr: {}", o.err);
    let is_header = |l: &&str| l.trim_start().starts_with("PID");
    let headers = o.out.lines().filter(is_header).count();
    // Three interval prints (0.4, 0.8, 1.2 s) and the final one.
    assert_eq!(headers, 4, "{}", o.out);
    let rows: Vec<&str> = o.out.lines().filter(|l| !is_header(l)).collect();
    assert_eq!(rows.len(), 1, "counted once, then cleared:\n{}", o.out);
    assert!(rows[0].ends_with(" 3"), "{}", o.out);
    assert_eq!(
        o.out.lines().nth(1),
        Some(rows[0]),
        "the first interval has the row"
    );
}

#[test]
fn log2_histogram_prints_like_bcc() {
    let m = manifest(
        "readhist",
        vec![program(
            "hist_read",
            "tracepoint/syscalls/sys_enter_read",
            "tracepoint:syscalls:sys_enter_read",
            26,
        )],
        vec![map(
            "dist",
            MapKind::HistogramArray,
            Some(uint(4)),
            Some(uint(8)),
            Display::Log2Hist {
                val_type: "bytes".into(),
            },
        )],
        vec![param_u32("targ_tid", "targ-tid", 0)],
    );
    let o = run_with(
        &m,
        &compile_bpf("readhist"),
        &["-d", "1.5"],
        move |ready, args| {
            let mut zero = File::open("/dev/zero").unwrap();
            args.send(vec!["--targ-tid".into(), gettid().to_string()])
                .unwrap();
            if wait_ready(&ready) {
                let mut buf = vec![0u8; 1000];
                for _ in 0..3 {
                    zero.read_exact(&mut buf[..1]).unwrap();
                }
                for _ in 0..5 {
                    zero.read_exact(&mut buf[..1000]).unwrap();
                }
                zero.read_exact(&mut buf[..6]).unwrap();
            }
        },
    );
    assert_eq!(o.status, 0, "stderr: {}", o.err);
    // 3 reads of 1 byte (slot 1), 1 of 6 bytes (slot 3), 5 of 1000 bytes (slot 10).
    let expected = concat!(
        "     bytes               : count     distribution\n",
        "         0 -> 1          : 3        |************************                |\n",
        "         2 -> 3          : 0        |                                        |\n",
        "         4 -> 7          : 1        |********                                |\n",
        "         8 -> 15         : 0        |                                        |\n",
        "        16 -> 31         : 0        |                                        |\n",
        "        32 -> 63         : 0        |                                        |\n",
        "        64 -> 127        : 0        |                                        |\n",
        "       128 -> 255        : 0        |                                        |\n",
        "       256 -> 511        : 0        |                                        |\n",
        "       512 -> 1023       : 5        |****************************************|\n",
    );
    assert_eq!(o.out, expected);
    assert_unloaded(&["hist_read"]);
}

#[test]
fn uprobe_on_our_own_binary_with_ring_buffer_json() {
    let target = compile_c("uprobe_target");
    let call = strukt("call", 8, vec![("pid", 0, uint(4)), ("arg", 4, sint(4))]);
    let attach = format!("uprobe:{}:bccc_target_fn", target.display());
    let m = manifest(
        "ucalls",
        vec![program("on_target_fn", "uprobe", &attach, 16)],
        vec![map(
            "calls",
            MapKind::Ringbuf,
            None,
            None,
            Display::Events { event: call },
        )],
        vec![],
    );
    let (pid_tx, pid_rx) = std::sync::mpsc::channel();
    let o = run_with(
        &m,
        &compile_bpf("uprobe"),
        &["-d", "1.5", "--json"],
        move |ready, args| {
            args.send(vec![]).unwrap();
            if wait_ready(&ready) {
                let mut child = std::process::Command::new(&target)
                    .arg("5")
                    .spawn()
                    .unwrap();
                pid_tx.send(child.id()).unwrap();
                assert!(child.wait().unwrap().success());
            }
        },
    );
    assert_eq!(o.status, 0, "stderr: {}", o.err);
    let pid = pid_rx.recv().expect("the target ran");
    let expected: Vec<String> = (1..=5)
        .map(|i| format!(r#"{{"pid":{pid},"arg":{i}}}"#))
        .collect();
    let lines: Vec<&str> = o.out.lines().collect();
    assert_eq!(lines, expected, "{}", o.out);
    assert_unloaded(&["on_target_fn"]);
}

#[test]
fn kprobe_fails_clearly_and_nothing_stays_attached() {
    let m = manifest(
        "kprobes",
        vec![
            program(
                "kpt_tp_first",
                "tracepoint/syscalls/sys_enter_getppid",
                "tracepoint:syscalls:sys_enter_getppid",
                15,
            ),
            program(
                "kpt_kprobe",
                "kprobe/do_sys_openat2",
                "kprobe:do_sys_openat2",
                24,
            ),
        ],
        vec![map(
            "hits",
            MapKind::Hash,
            Some(uint(4)),
            Some(uint(8)),
            Display::Counts,
        )],
        vec![],
    );
    let o = run_with(&m, &compile_bpf("kprobe"), &["-d", "1"], |ready, args| {
        args.send(vec![]).unwrap();
        assert!(
            !wait_ready(&ready),
            "a kprobe tool cannot get attached on this kernel"
        );
    });
    assert_eq!(o.status, 1, "stdout: {}\nstderr: {}", o.out, o.err);
    let lines: Vec<&str> = o.err.lines().collect();
    assert_eq!(lines.len(), 1, "one clear message: {}", o.err);
    for needle in [
        "kprobes: error:",
        "kprobe:do_sys_openat2",
        "`kpt_kprobe`",
        "kprobes.bpf.c:24",
        "no kprobe support",
    ] {
        assert!(o.err.contains(needle), "`{needle}` missing from: {}", o.err);
    }
    assert_unloaded(&["kpt_tp_first", "kpt_kprobe"]);
}

#[test]
fn verifier_rejection_names_probe_line_and_log_tail() {
    let m = manifest(
        "rejected",
        vec![program(
            "rejected_prog",
            "tracepoint/syscalls/sys_enter_getppid",
            "tracepoint:syscalls:sys_enter_getppid",
            13,
        )],
        vec![map(
            "vals",
            MapKind::Hash,
            Some(uint(4)),
            Some(uint(8)),
            Display::Hidden,
        )],
        vec![],
    );
    let o = run_with(
        &m,
        &compile_bpf("rejected"),
        &["-d", "1"],
        |_ready, args| args.send(vec![]).unwrap(),
    );
    assert_eq!(o.status, 1);
    for needle in [
        "the kernel refused to load probe `rejected_prog` (rejected.bpf.c:13)",
        "verifier log (last lines):",
        "invalid mem access",
    ] {
        assert!(o.err.contains(needle), "`{needle}` missing from: {}", o.err);
    }
    let log_lines = o
        .err
        .lines()
        .skip_while(|l| !l.contains("verifier log"))
        .skip(1)
        .count();
    assert!(
        (1..=20).contains(&log_lines),
        "at most 20 log lines: {}",
        o.err
    );
    assert_unloaded(&["rejected_prog"]);
}

#[test]
fn preflight_reports_each_check() {
    let m = manifest(
        "preflight",
        vec![
            program(
                "a",
                "tracepoint/syscalls/sys_enter_openat",
                "tracepoint:syscalls:sys_enter_openat",
                3,
            ),
            program(
                "b",
                "tracepoint/syscalls/no_such_event",
                "tracepoint:syscalls:no_such_event",
                9,
            ),
        ],
        vec![],
        vec![],
    );
    let o = run_with(&m, b"", &["--preflight"], |_ready, args| {
        args.send(vec![]).unwrap();
    });
    assert_eq!(o.status, 1, "{}", o.out);
    let lines: Vec<&str> = o.out.lines().collect();
    assert_eq!(lines.len(), 4, "{}", o.out);
    assert!(
        lines[0].starts_with("[ok  ] privileges: running as root"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("[ok  ] kernel BTF"), "{}", lines[1]);
    assert!(
        lines[2].starts_with(
            "[ok  ] tracepoint:syscalls:sys_enter_openat (probe `a` (preflight.bpf.c:3))"
        ),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("[FAIL] tracepoint:syscalls:no_such_event (probe `b` (preflight.bpf.c:9)): tracepoint syscalls:no_such_event does not exist"), "{}", lines[3]);
}
