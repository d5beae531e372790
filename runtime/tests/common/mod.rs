//! Shared helpers for the runtime's live tests: compile a fixture BPF program against this
//! kernel's BTF, hand-write its manifest, run the tool in-process while a workload runs.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use bccc_manifest::{
    AttachSpec, Display, Field, MANIFEST_VERSION, Manifest, MapKind, MapSpec, Param, ProgramSpec,
    SourceLoc, ToolInfo, Type,
};

/// A directory for this test process's build products.
pub(crate) fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// `vmlinux.h` for this kernel, generated once per test process with bpftool.
fn vmlinux_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch().join("vmlinux");
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("bpftool")
            .args([
                "btf",
                "dump",
                "file",
                "/sys/kernel/btf/vmlinux",
                "format",
                "c",
            ])
            .output()
            .expect("bpftool must be installed (apt-get install bpftool)");
        assert!(
            out.status.success(),
            "bpftool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(dir.join("vmlinux.h"), out.stdout).unwrap();
        dir
    })
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Compiles `tests/fixtures/<name>.bpf.c` and returns the object bytes.
pub(crate) fn compile_bpf(name: &str) -> Vec<u8> {
    // Tests of one binary run in parallel and may compile the same fixture.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let src = fixture(&format!("{name}.bpf.c"));
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let obj = scratch().join(format!("{name}.{n}.bpf.o"));
    let out = Command::new("clang-19")
        .args(["-target", "bpf", "-O2", "-g", "-D__TARGET_ARCH_x86"])
        .arg(format!("-I{}", vmlinux_dir().display()))
        .arg("-I/usr/include")
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .expect("clang-19 must be installed");
    assert!(
        out.status.success(),
        "clang-19 {}: {}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(obj).unwrap()
}

/// Compiles `tests/fixtures/<name>.c` into a user-space executable and returns its path.
pub(crate) fn compile_c(name: &str) -> PathBuf {
    let exe = scratch().join(name);
    let out = Command::new("cc")
        .arg("-O1")
        .arg("-o")
        .arg(&exe)
        .arg(fixture(&format!("{name}.c")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

pub(crate) fn uint(size: u32) -> Type {
    Type::Int {
        size,
        signed: false,
        char: false,
    }
}

pub(crate) fn sint(size: u32) -> Type {
    Type::Int {
        size,
        signed: true,
        char: false,
    }
}

pub(crate) fn chars(len: u32) -> Type {
    Type::Array {
        elem: Box::new(Type::Int {
            size: 1,
            signed: true,
            char: true,
        }),
        len,
    }
}

/// A struct from (name, byte offset, type) members.
pub(crate) fn strukt(name: &str, size: u32, members: Vec<(&str, u32, Type)>) -> Type {
    let fields = members
        .into_iter()
        .map(|(n, off, ty)| Field {
            name: n.into(),
            bit_offset: off * 8,
            bit_size: None,
            ty,
        })
        .collect();
    Type::Struct {
        name: Some(name.into()),
        size,
        union: false,
        fields,
    }
}

pub(crate) fn loc(line: u32) -> SourceLoc {
    SourceLoc { line, column: 1 }
}

pub(crate) fn program(name: &str, section: &str, attach: &str, line: u32) -> ProgramSpec {
    ProgramSpec {
        name: name.into(),
        section: section.into(),
        attach: vec![attach.parse::<AttachSpec>().unwrap()],
        loc: loc(line),
        btf_args: Vec::new(),
    }
}

pub(crate) fn map(
    name: &str,
    kind: MapKind,
    key: Option<Type>,
    value: Option<Type>,
    display: Display,
) -> MapSpec {
    MapSpec {
        name: name.into(),
        object_name: None,
        kind,
        key,
        value,
        max_entries: 1024,
        display,
        loc: loc(1),
    }
}

pub(crate) fn manifest(
    name: &str,
    programs: Vec<ProgramSpec>,
    maps: Vec<MapSpec>,
    params: Vec<Param>,
) -> Manifest {
    Manifest {
        version: MANIFEST_VERSION,
        tool: ToolInfo {
            name: name.into(),
            about: format!("test tool {name}"),
            source: format!("{name}.bpf.c"),
        },
        programs,
        maps,
        params,
        trace_printk: false,
        tracepoint_records: Vec::new(),
    }
}

/// stderr for an in-process run: keeps the text and says when the tool is attached.
struct ReadyErr {
    text: Vec<u8>,
    ready: Option<Sender<()>>,
}

impl Write for ReadyErr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        if String::from_utf8_lossy(&self.text).contains(bccc_runtime::READY)
            && let Some(tx) = self.ready.take()
        {
            let _ = tx.send(());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What an in-process run printed.
pub(crate) struct Outcome {
    pub(crate) status: i32,
    pub(crate) out: String,
    pub(crate) err: String,
}

/// This thread's kernel thread id.
pub(crate) fn gettid() -> u32 {
    let link = std::fs::read_link("/proc/thread-self").unwrap();
    link.file_name().unwrap().to_string_lossy().parse().unwrap()
}

/// Runs the tool in-process with `args`. `workload` runs on its own thread (named
/// `bccc-worker`): it first gets the chance to report its thread id (the returned args are
/// appended), then waits until the tool is attached, then does its work.
pub(crate) fn run_with<W>(m: &Manifest, object: &[u8], args: &[&str], workload: W) -> Outcome
where
    W: FnOnce(Receiver<()>, Sender<Vec<String>>) + Send + 'static,
{
    let (ready_tx, ready_rx) = mpsc::channel();
    let (args_tx, args_rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("bccc-worker".into())
        .spawn(move || workload(ready_rx, args_tx))
        .unwrap();
    let extra: Vec<String> = args_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("workload sends its args");
    let mut command_line: Vec<OsString> = vec![m.tool.name.clone().into()];
    command_line.extend(args.iter().map(OsString::from));
    command_line.extend(extra.into_iter().map(OsString::from));
    let mut out = Vec::new();
    let mut err = ReadyErr {
        text: Vec::new(),
        ready: Some(ready_tx),
    };
    let status = bccc_runtime::run(m, object, command_line, &mut out, &mut err);
    // Dropping the sender (if never ready) releases a waiting workload.
    drop(err.ready.take());
    worker.join().expect("workload thread");
    Outcome {
        status,
        out: String::from_utf8_lossy(&out).into_owned(),
        err: String::from_utf8_lossy(&err.text).into_owned(),
    }
}

/// Waits for the tool to be attached; false if it never was (the run failed).
pub(crate) fn wait_ready(rx: &Receiver<()>) -> bool {
    rx.recv_timeout(Duration::from_secs(30)).is_ok()
}

/// Asserts the kernel no longer has programs of these names loaded (so nothing is attached).
pub(crate) fn assert_unloaded(names: &[&str]) {
    let mut left = Vec::new();
    for _ in 0..40 {
        let out = Command::new("bpftool")
            .args(["prog", "show"])
            .output()
            .expect("bpftool");
        let text = String::from_utf8_lossy(&out.stdout);
        left = names
            .iter()
            .filter(|n| text.contains(&format!(" name {n} ")))
            .map(|n| (*n).to_owned())
            .collect();
        if left.is_empty() {
            return;
        }
        // Programs are freed after an RCU grace period.
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("programs still loaded after the run: {left:?}");
}

/// The manifest of `fixtures/opensnoop.bpf.c`: one tracepoint program and a perf buffer of
/// `{ u32 pid; char comm[16]; char filename[64]; }` events.
pub(crate) fn opensnoop_manifest() -> Manifest {
    let event = strukt(
        "event",
        84,
        vec![
            ("pid", 0, uint(4)),
            ("comm", 4, chars(16)),
            ("filename", 20, chars(64)),
        ],
    );
    manifest(
        "opensnoop",
        vec![program(
            "snoop_openat",
            "tracepoint/syscalls/sys_enter_openat",
            "tracepoint:syscalls:sys_enter_openat",
            18,
        )],
        vec![map(
            "events",
            MapKind::PerfOutput,
            None,
            None,
            Display::Events { event },
        )],
        vec![],
    )
}
