//! Running fixtures: build a fixture's tool, stage it for `tests/vm/driver.sh` (the one runner,
//! used here and in the VM guest), run the driver here, judge the frames.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::expect::{Frame, judge, parse_frames};
use super::fixture::Fixture;
use super::kernel::{KernelFacts, Need};

/// Whether a fixture runs normally or must refuse (its kernel lacks a need).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Run the tool against the workload.
    Run,
    /// The kernel lacks a need: the tool must refuse plainly.
    Refuse,
}

/// The guest-and-host driver.
pub(crate) fn driver() -> PathBuf {
    super::repo().join("tests/vm/driver.sh")
}

/// The static workload binary (`testdata/workloads/uprobe_target.c`), built once per test binary.
pub(crate) fn uprobe_target() -> PathBuf {
    static TARGET: OnceLock<PathBuf> = OnceLock::new();
    TARGET
        .get_or_init(|| {
            let dir = super::scratch("workloads");
            let src = super::repo().join("testdata/workloads/uprobe_target.c");
            let bin = dir.join("uprobe_target");
            // Static: the VM guest has no libc.
            let status = Command::new("cc")
                .args(["-static", "-O1", "-g", "-o"])
                .arg(&bin)
                .arg(&src)
                .status()
                .expect("run cc");
            assert!(status.success(), "cc -static {} failed", src.display());
            bin
        })
        .clone()
}

/// Builds `fixture`'s tool and writes the driver's files into `root/<name>/`; `target` is where
/// the workload binary is when the tool runs. Returns the staged directory.
pub(crate) fn stage(fixture: &Fixture, root: &Path, target: &Path, mode: Mode) -> PathBuf {
    let run = fixture.run.clone().unwrap_or_default();
    let dir = root.join(&fixture.name);
    std::fs::create_dir_all(&dir).expect("create stage dir");
    let tool = dir.join("tool");
    let args = fixture.build_args(target);
    let mut words = vec!["-o", tool.to_str().expect("utf-8 path")];
    words.extend(args.iter().map(String::as_str));
    super::build(&fixture.path, &words);
    let mode = match mode {
        Mode::Run => "run",
        Mode::Refuse => "refuse",
    };
    for (file, text) in [
        ("args", run.args.as_str()),
        ("setup", run.setup.as_str()),
        ("workload", run.workload.as_str()),
        ("stop", run.stop.as_deref().unwrap_or("")),
        ("mode", mode),
    ] {
        std::fs::write(dir.join(file), format!("{text}\n")).expect("write stage file");
    }
    dir
}

/// A built tool's embedded manifest and object.
pub(crate) fn payload(tool: &[u8]) -> (bccc_manifest::Manifest, &[u8]) {
    use object::{Object, ObjectSection};
    let file = object::File::parse(tool).expect("tool is ELF");
    let section = file
        .section_by_name(bccc_manifest::payload::SECTION)
        .expect("tool has a payload");
    let data = section.data().expect("payload data");
    bccc_manifest::payload::decode(data).expect("the payload decodes")
}

/// The names of the programs a built tool loads (from its embedded manifest).
pub(crate) fn program_names(tool: &Path) -> Vec<String> {
    let bytes = std::fs::read(tool).expect("read tool");
    let (manifest, _) = payload(&bytes);
    manifest.programs.into_iter().map(|p| p.name).collect()
}

/// Loaded BPF programs: (id, name).
pub(crate) fn loaded_programs() -> Vec<(u64, String)> {
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
        .filter_map(|p| Some((p["id"].as_u64()?, p["name"].as_str()?.to_owned())))
        .collect()
}

/// A loop device over a 1 MiB file, detached on drop.
pub(crate) struct LoopDisk(pub(crate) String);

impl LoopDisk {
    pub(crate) fn new(dir: &Path) -> Self {
        let backing = dir.join("disk.img");
        std::fs::write(&backing, vec![0u8; 1 << 20]).expect("write backing file");
        let out = Command::new("losetup")
            .args(["--find", "--show"])
            .arg(&backing)
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

impl Drop for LoopDisk {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.0]).status();
    }
}

/// What only trying tells on this host: kprobes exist, trampolines load, the BPF LSM is active.
pub(crate) fn host_probe(need: &Need) -> Result<(), String> {
    match need {
        Need::Kprobes if !Path::new("/sys/kernel/tracing/kprobe_events").exists() => {
            Err("no kprobe_events in tracefs".into())
        }
        Need::Fentry if !fentry_loads() => Err("a trivial fentry program does not load".into()),
        Need::Lsm => {
            let lsm = std::fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default();
            if lsm.split(',').any(|l| l.trim() == "bpf") {
                Ok(())
            } else {
                Err(format!("bpf is not an active LSM ({})", lsm.trim()))
            }
        }
        _ => Ok(()),
    }
}

/// Whether this kernel loads a trivial fentry program (the 6.18 test kernel refuses with EPERM).
pub(crate) fn fentry_loads() -> bool {
    static LOADS: OnceLock<bool> = OnceLock::new();
    *LOADS.get_or_init(|| {
        let dir = super::scratch("fentry-probe");
        let src = dir.join("trivial_fentry.c");
        std::fs::write(&src, "KFUNC_PROBE(do_nanosleep)\n{\n    return 0;\n}\n").unwrap();
        let obj = dir.join("trivial_fentry.bpf.o");
        super::build(&src, &["--emit", "obj", "-o", obj.to_str().unwrap()]);
        let bytes = std::fs::read(&obj).unwrap();
        match libbpf_rs::ObjectBuilder::default()
            .open_memory(&bytes)
            .and_then(libbpf_rs::OpenObject::load)
        {
            Ok(_) => true,
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    libbpf_rs::ErrorKind::PermissionDenied,
                    "trivial fentry: {e:#}"
                );
                false
            }
        }
    })
}

/// This host's kernel facts.
pub(crate) fn host_facts() -> KernelFacts {
    KernelFacts::host(host_probe)
}

/// Builds, runs here and judges one fixture; returns every failure (empty: passed).
pub(crate) fn run_here(fixture: &Fixture, facts: &KernelFacts) -> Vec<String> {
    super::kernel_fs();
    let root = super::scratch(&format!("live-{}", fixture.name));
    let missing = facts.missing(&fixture.needs);
    let mode = if missing.is_empty() {
        Mode::Run
    } else {
        Mode::Refuse
    };
    let target = uprobe_target();
    let staged = stage(fixture, &root, &target, mode);
    let names = program_names(&staged.join("tool"));
    let before = loaded_programs();
    let disk =
        (mode == Mode::Run && fixture.needs.contains(&Need::Disk)).then(|| LoopDisk::new(&root));
    let mut cmd = Command::new("sh");
    // cargo's library path makes every dynamic program the driver runs (grep, sleep) search
    // dozens of directories: an openat storm that system-wide tools would report.
    cmd.env_remove("LD_LIBRARY_PATH")
        .arg(driver())
        .arg(format!("TARGET={}", target.display()));
    if let Some(d) = &disk {
        cmd.arg(format!("DISK={}", d.0));
    }
    let out = cmd.arg(&staged).output().expect("run the driver");
    drop(disk);
    let text = String::from_utf8_lossy(&out.stdout);
    let frames = parse_frames(&text);
    let Some(frame) = frames.get(&fixture.name) else {
        return vec![format!(
            "the driver reported nothing:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )];
    };
    let expects = fixture
        .run
        .as_ref()
        .map(|r| r.expects.as_slice())
        .unwrap_or_default();
    let mut why = judge(frame, expects, &|n| facts.check(n).is_ok());
    if mode == Mode::Refuse {
        why = why
            .into_iter()
            .map(|w| format!("{w} (this kernel: {})", missing.join(", ")))
            .collect();
    }
    why.extend(leftovers(&before, &names));
    if !why.is_empty() {
        why.push(describe(frame));
    }
    why
}

/// Programs of `names` loaded now that were not loaded `before` (the kernel truncates names to
/// 15 bytes).
fn leftovers(before: &[(u64, String)], names: &[String]) -> Option<String> {
    // Program fds close with the process; give the kernel a moment to release them.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let left: Vec<String> = loaded_programs()
        .into_iter()
        .filter(|p| !before.contains(p))
        .filter(|(_, n)| {
            names
                .iter()
                .any(|want| want.starts_with(n.as_str()) && !n.is_empty())
        })
        .map(|(id, n)| format!("{n} (id {id})"))
        .collect();
    (!left.is_empty()).then(|| format!("programs left loaded: {}", left.join(", ")))
}

/// A frame for a failure message.
pub(crate) fn describe(frame: &Frame) -> String {
    format!(
        "--- exit {} ({})\n--- vars {:?}\n--- stdout\n{}--- stderr\n{}--- setup/workload log\n{}",
        frame.exit, frame.mode, frame.vars, frame.stdout, frame.stderr, frame.log
    )
}
