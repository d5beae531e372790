//! Live tests: build each attachable testdata program into a static binary, run it as a user
//! would while the test drives a workload, and check what it prints. Root is required (CI runs
//! as root); nothing here skips.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Live tests run one at a time: they trace system-wide and check for leftover programs.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a tool printed and how it exited.
struct Run {
    stdout: String,
    stderr: String,
    status: ExitStatus,
}

/// The line every tool prints on stderr once all its programs are attached.
const READY: &str = "Tracing... Hit Ctrl-C to end.";

/// Builds `testdata/<name>.c` into a static binary in `dir`.
fn build_tool(name: &str, dir: &Path, extra: &[String]) -> PathBuf {
    let bin = dir.join(name);
    let mut args = vec!["-o", bin.to_str().unwrap()];
    args.extend(extra.iter().map(String::as_str));
    common::build(&common::testdata(&format!("{name}.c")), &args);
    bin
}

/// Starts `bin args...`, waits for the ready line, runs `workload`, then waits for the exit
/// (the tool is expected to stop by itself through `-d`, or `stop` is called to signal it).
fn run_tool(bin: &Path, args: &[&str], workload: impl FnOnce(&Child), stop: Option<&str>) -> Run {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
    let stderr = child.stderr.take().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let err_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if line.contains(READY) {
                let _ = ready_tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let mut stdout = child.stdout.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(20)).is_ok();
    if ready {
        workload(&child);
        if let Some(sig) = stop {
            let ok = Command::new("kill")
                .arg(format!("-{sig}"))
                .arg(child.id().to_string())
                .status();
            assert!(ok.is_ok_and(|s| s.success()), "kill -{sig} failed");
        }
    }
    let status = child.wait().unwrap();
    let run = Run {
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
        status,
    };
    assert!(
        ready,
        "{} never became ready:\nstdout:\n{}\nstderr:\n{}",
        bin.display(),
        run.stdout,
        run.stderr
    );
    run
}

impl Run {
    /// The column names of the first stdout line.
    fn header(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect()
    }

    fn assert_success(&self, what: &str) {
        assert!(
            self.status.success(),
            "{what} exited with {}:\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }
}

/// Programs of ours still loaded in the kernel whose names start with one of `names`.
fn leftover_programs(names: &[&str]) -> Vec<String> {
    // Program fds close with the process; give the kernel a moment to release them.
    std::thread::sleep(Duration::from_millis(300));
    let out = Command::new("bpftool")
        .args(["-j", "prog", "show"])
        .output()
        .expect("run bpftool");
    let progs: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("bpftool prints JSON");
    progs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| {
            names
                .iter()
                .any(|want| want.starts_with(n) || n.starts_with(want))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn built_tools_are_static_executables() {
    let dir = common::scratch("live-static");
    let bin = build_tool("opensnoop", &dir, &[]);
    let ldd = Command::new("ldd").arg(&bin).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        text.contains("not a dynamic executable") || text.contains("statically linked"),
        "ldd says:\n{text}"
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&bin).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o755, "tool mode");
}

#[test]
fn opensnoop_prints_the_pid_comm_and_path_of_an_open() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-opensnoop");
    let bin = build_tool("opensnoop", &dir, &[]);
    let path = dir.join(format!("bccc-live-open-{}", std::process::id()));
    let run = run_tool(
        &bin,
        &["-d", "2"],
        |_| {
            for _ in 0..3 {
                let _ = std::fs::File::open(&path);
            }
        },
        None,
    );
    run.assert_success("opensnoop");
    let header = run.stdout.lines().next().unwrap_or_default();
    for col in ["PID", "COMM", "FNAME"] {
        assert!(header.contains(col), "header {header:?} lacks {col}");
    }
    let path_text = path.to_str().unwrap();
    let hits: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(path_text))
        .collect();
    assert_eq!(
        hits.len(),
        3,
        "expected 3 opens of {path_text}:\n{}",
        run.stdout
    );
    let pid = std::process::id().to_string();
    assert!(
        hits.iter().all(|l| l.split_whitespace().any(|w| w == pid)),
        "pid {pid} missing:\n{hits:#?}"
    );
    assert!(
        leftover_programs(&["tracepoint__sys", "tracepoint__syscalls__sys_enter_openat"])
            .is_empty()
    );
}

#[test]
fn opensnoop_json_lines_and_sigint_exit_cleanly() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-opensnoop-json");
    let bin = build_tool("opensnoop", &dir, &[]);
    let path = dir.join("json-open-target");
    let run = run_tool(
        &bin,
        &["--json"],
        |_| drop(std::fs::File::open(&path)),
        Some("INT"),
    );
    run.assert_success("opensnoop --json after SIGINT");
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("json-open-target"))
        .unwrap_or_else(|| panic!("no event for the open:\n{}", run.stdout));
    let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
    assert_eq!(
        v["pid"].as_u64(),
        Some(u64::from(std::process::id())),
        "{line}"
    );
    assert_eq!(v["fname"].as_str(), path.to_str(), "{line}");
}

#[test]
fn syscount_counts_the_syscalls_of_a_filtered_pid() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-syscount");
    let bin = build_tool("syscount", &dir, &[]);
    let me = std::process::id().to_string();
    let run = run_tool(
        &bin,
        &["-d", "2", "--targ-pid", &me],
        |_| {
            for _ in 0..50 {
                let _ = std::fs::metadata("/");
            }
        },
        None,
    );
    run.assert_success("syscount");
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(!rows.is_empty(), "no rows:\n{}", run.stdout);
    assert!(
        rows.iter().all(|r| r.first() == Some(&me.as_str())),
        "the filter let other pids in:\n{}",
        run.stdout
    );
    let count: u64 = rows[0].last().unwrap().parse().unwrap();
    assert!(
        count >= 50,
        "counted {count} syscalls for 50 stats:\n{}",
        run.stdout
    );
}

#[test]
fn runqlat_prints_a_log2_histogram() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-runqlat");
    let bin = build_tool("runqlat", &dir, &[]);
    let run = run_tool(
        &bin,
        &["-d", "2"],
        |_| {
            for _ in 0..20 {
                std::thread::sleep(Duration::from_millis(5));
            }
        },
        None,
    );
    run.assert_success("runqlat");
    assert!(
        run.stdout.contains(" : count     distribution"),
        "no histogram header:\n{}",
        run.stdout
    );
    let rows = run
        .stdout
        .lines()
        .filter(|l| l.contains(" -> ") && l.ends_with('|'))
        .count();
    assert!(rows >= 1, "no histogram rows:\n{}", run.stdout);
}

#[test]
fn exitsnoop_reports_a_child_exit_with_its_parent() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-exitsnoop");
    let bin = build_tool("exitsnoop", &dir, &[]);
    let mut child_pid = 0;
    let run = run_tool(
        &bin,
        &["-d", "2"],
        |_| {
            let mut c = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
            child_pid = c.id();
            c.wait().unwrap();
        },
        None,
    );
    run.assert_success("exitsnoop");
    let me = std::process::id().to_string();
    let line = run
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&child_pid.to_string()))
        .unwrap_or_else(|| panic!("no exit of {child_pid}:\n{}", run.stdout));
    assert!(
        line.split_whitespace().any(|w| w == me),
        "parent {me} (read through task->real_parent->tgid) missing: {line}"
    );
}

#[test]
fn uprobe_counts_calls_of_our_target_function() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-uprobe");
    let target = common::workload("uprobe_target", &dir);
    let extra = common::extra_args(&common::testdata("uprobe_count.c"), &target);
    let bin = build_tool("uprobe_count", &dir, &extra);
    let mut target_pid = 0;
    let run = run_tool(
        &bin,
        &["-d", "2"],
        |_| {
            let mut c = Command::new(&target)
                .arg("7")
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            target_pid = c.id();
            assert!(c.wait().unwrap().success());
        },
        None,
    );
    run.assert_success("uprobe_count");
    // Two count tables, each under a `name:` line: calls (7 calls) and arg_sum (1 + ... + 7).
    let pid = target_pid.to_string();
    for (table, want) in [("calls:", "7"), ("arg_sum:", "28")] {
        let row = run
            .stdout
            .lines()
            .skip_while(|l| l.trim() != table)
            .take_while(|l| !l.trim().is_empty())
            .find(|l| l.split_whitespace().next() == Some(pid.as_str()))
            .unwrap_or_else(|| panic!("no {table} row for {pid}:\n{}", run.stdout));
        assert_eq!(row.split_whitespace().last(), Some(want), "{table} {row}");
    }
}

#[test]
fn raw_tracepoint_counts_context_switches() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-rawtp");
    let bin = build_tool("rawtp_switch", &dir, &[]);
    let run = run_tool(
        &bin,
        &["-d", "1"],
        |_| std::thread::sleep(Duration::from_millis(200)),
        None,
    );
    run.assert_success("rawtp_switch");
    let counts: Vec<u64> = run
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().last()?.parse().ok())
        .collect();
    assert!(
        counts.iter().sum::<u64>() > 0,
        "no switches counted:\n{}",
        run.stdout
    );
}

#[test]
fn kprobe_tool_fails_plainly_here_and_leaves_nothing_attached() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-kprobe");
    let bin = build_tool("kprobe_nanosleep", &dir, &[]);
    let out = Command::new(&bin).args(["-d", "1"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // This kernel is built without CONFIG_KPROBES (tracefs then has no kprobe_events); the VM
    // matrix attaches kprobes on kernels that have them.
    if Path::new("/sys/kernel/tracing/kprobe_events").exists() {
        assert!(
            out.status.success(),
            "kprobes exist here, yet the tool failed:\n{stderr}"
        );
    } else {
        assert!(
            !out.status.success(),
            "kprobe attach cannot work on this kernel, yet the tool succeeded"
        );
        assert!(
            stderr.contains("do_nanosleep") && stderr.contains("kprobe"),
            "message does not name the probe:\n{stderr}"
        );
    }
    assert!(
        leftover_programs(&["kprobe__do_nano", "kretprobe__do_n"]).is_empty(),
        "programs left loaded"
    );
}

#[test]
fn trace_printk_lines_are_echoed_from_the_trace_pipe() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-printk");
    let bin = build_tool("printk_exec", &dir, &[]);
    let mut child_pid = 0;
    let run = run_tool(
        &bin,
        &["-d", "2"],
        |_| {
            let mut c = Command::new("/bin/true").spawn().unwrap();
            child_pid = c.id();
            assert!(c.wait().unwrap().success());
        },
        None,
    );
    run.assert_success("printk_exec");
    let want = format!("bccc exec by pid {child_pid}");
    assert!(
        run.stdout.lines().any(|l| l.contains(&want)),
        "no `{want}` line:\n{}",
        run.stdout
    );
}

#[test]
fn kprobe_with_typed_arguments_attaches_where_kprobes_exist() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-kprobe-args");
    let bin = build_tool("kprobe_openat2", &dir, &[]);
    let path = dir.join("kprobe-open-target");
    let run_out = Command::new(&bin).args(["-d", "1"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&run_out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    if Path::new("/sys/kernel/tracing/kprobe_events").exists() {
        let run = run_tool(
            &bin,
            &["-d", "2"],
            |_| drop(std::fs::File::open(&path)),
            None,
        );
        run.assert_success("kprobe_openat2");
        assert!(
            run.stdout.contains(path.to_str().unwrap()),
            "no open event:\n{}",
            run.stdout
        );
    } else {
        assert!(
            !run_out.status.success(),
            "kprobe attach cannot work on this kernel:\n{stderr}"
        );
        assert!(
            stderr.contains("do_sys_openat2"),
            "message does not name the probe:\n{stderr}"
        );
    }
}

#[test]
fn tp_btf_exec_reports_the_pid_and_filename_of_an_exec() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-tpbtf");
    let bin = build_tool("tpbtf_exec", &dir, &[]);
    // A program at a path no other exec on the machine uses.
    let target = dir.join(format!("bccc-tpbtf-true-{}", std::process::id()));
    std::fs::copy("/bin/true", &target).unwrap();
    let mut child_pid = 0;
    let run = run_tool(
        &bin,
        &[],
        |_| {
            let mut c = Command::new(&target).spawn().unwrap();
            child_pid = c.id();
            assert!(c.wait().unwrap().success());
            // The perf buffer is polled; give it a moment before stopping.
            std::thread::sleep(Duration::from_millis(300));
        },
        Some("INT"),
    );
    run.assert_success("tpbtf_exec after SIGINT");
    let header = run.header();
    assert_eq!(
        header,
        ["PID", "OLD_PID", "COMM", "FILENAME"],
        "{}",
        run.stdout
    );
    let path = target.to_str().unwrap();
    let line = run
        .stdout
        .lines()
        .find(|l| l.split_whitespace().last() == Some(path))
        .unwrap_or_else(|| panic!("no exec of {path}:\n{}", run.stdout));
    let cols: Vec<&str> = line.split_whitespace().collect();
    let pid = child_pid.to_string();
    // p->tgid (read through BTF) and old_pid are the child's pid: a single-threaded exec.
    assert_eq!(cols[..2], [pid.as_str(), pid.as_str()], "{line}");
    // comm after exec is the new program's basename, truncated to TASK_COMM_LEN - 1.
    let name = target.file_name().unwrap().to_str().unwrap();
    assert_eq!(cols[2], &name[..name.len().min(15)], "{line}");
    assert!(
        leftover_programs(&["on_exec"]).is_empty(),
        "programs left loaded"
    );
}

/// A loop device over a file, detached on drop.
struct Loop(String);

impl Loop {
    fn new(backing: &Path) -> Self {
        std::fs::write(backing, vec![0u8; 1 << 20]).expect("write backing file");
        let out = Command::new("losetup")
            .args(["--find", "--show"])
            .arg(backing)
            .output()
            .expect("run losetup");
        assert!(
            out.status.success(),
            "losetup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.0]).status();
    }
}

#[test]
fn block_rq_prints_a_direct_read_field_by_field() {
    let _serial = serial();
    common::kernel_fs();
    let dir = common::scratch("live-block-rq");
    let bin = build_tool("block_rq", &dir, &[]);
    let dev = Loop::new(&dir.join("disk.img"));
    let devno = std::fs::read_to_string(format!(
        "/sys/block/{}/dev",
        dev.0.trim_start_matches("/dev/")
    ))
    .expect("loop device number");
    let run = run_tool(
        &bin,
        &["-d", "2"],
        |_| {
            // One 4 KiB direct read at byte 409600: sector 800, 8 sectors.
            let st = Command::new("dd")
                .arg(format!("if={}", dev.0))
                .args([
                    "of=/dev/null",
                    "bs=4096",
                    "skip=100",
                    "count=1",
                    "iflag=direct",
                ])
                .stderr(Stdio::null())
                .status()
                .expect("run dd");
            assert!(st.success(), "dd failed");
        },
        None,
    );
    run.assert_success("block_rq");
    let header = run.header();
    assert_eq!(
        header,
        [
            "PID",
            "MAJOR",
            "MINOR",
            "NR_SECTOR",
            "SECTOR",
            "BYTES",
            "RWBS",
            "COMM",
            "CMD"
        ]
    );
    let (major, minor) = devno.trim().split_once(':').expect("MAJ:MIN");
    let row: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.get(1) == Some(&major) && f.get(2) == Some(&minor) && f.get(4) == Some(&"800"))
        .unwrap_or_else(|| panic!("no request at sector 800 of {}:\n{}", dev.0, run.stdout));
    // The empty __data_loc cmd leaves 8 fields; rwbs starts with R (a read).
    assert_eq!(row.len(), 8, "{row:?}");
    assert_eq!((row[3], row[5]), ("8", "4096"), "{row:?}");
    assert!(row[6].starts_with('R'), "{row:?}");
}
