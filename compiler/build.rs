//! Build script: embeds what a complete `bccc` carries, so `cargo install --path compiler` is
//! the whole installation.
//!
//! - `headers.rs` in `OUT_DIR`: every file of `headers/` (ours), the generated kernel header set
//!   under `headers/kernel/` (with its relative paths) and libbpf's BPF-side headers from the
//!   vendored libbpf-sys build (`DEP_BPF_INCLUDE`), as `include_str!` tables. The host's
//!   `/usr/include/bpf` is never needed.
//! - `BCCC_RUNTIME_PATH`: the static runtime `bccc-rt`, built by a nested cargo with
//!   `+crt-static` into its own target dir next to the outer one (incremental when warm), or
//!   `BCCC_PREBUILT_RUNTIME` when set. If the nested build fails, bccc is still built (other
//!   stages stay usable during development) with an empty runtime and a loud warning;
//!   `package::runtime_bytes(None)` then reports the problem to the user.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// libbpf's headers that BPF C includes as `<bpf/NAME>`.
const LIBBPF_HEADERS: [&str; 5] = [
    "bpf_helpers.h",
    "bpf_helper_defs.h",
    "bpf_tracing.h",
    "bpf_core_read.h",
    "bpf_endian.h",
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it"));
    write_headers_table(&manifest_dir, &out_dir);
    let runtime = runtime_path(&manifest_dir, &out_dir);
    println!("cargo:rustc-env=BCCC_RUNTIME_PATH={}", runtime.display());
}

/// Appends `pub(crate) const NAME: &[(&str, &str)]`: each file's name and contents.
fn table(code: &mut String, doc: &str, name: &str, paths: &[PathBuf]) {
    writeln!(
        code,
        "/// {doc}\npub(crate) const {name}: &[(&str, &str)] = &["
    )
    .unwrap();
    for path in paths {
        let file = path.file_name().expect("a file").to_string_lossy();
        writeln!(
            code,
            "    ({file:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
}

/// Writes `headers.rs`: `BCCC_HEADERS` and `LIBBPF_HEADERS`, `(file name, contents)` tables.
fn write_headers_table(manifest_dir: &Path, out_dir: &Path) {
    let ours = manifest_dir.join("headers");
    println!("cargo:rerun-if-changed={}", ours.display());
    let mut names: Vec<PathBuf> = std::fs::read_dir(&ours)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for path in &names {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let mut code = String::new();
    table(
        &mut code,
        "bccc's own headers, written to `<include>/bccc/`.",
        "BCCC_HEADERS",
        &names,
    );
    let include = PathBuf::from(
        env::var_os("DEP_BPF_INCLUDE")
            .expect("libbpf-sys exports its include dir (links = \"bpf\")"),
    );
    let libbpf_paths: Vec<PathBuf> = LIBBPF_HEADERS
        .iter()
        .map(|name| include.join("bpf").join(name))
        .collect();
    for path in &libbpf_paths {
        assert!(
            path.is_file(),
            "libbpf-sys did not install {}",
            path.display()
        );
    }
    table(
        &mut code,
        "libbpf's BPF-side headers (vendored libbpf-sys), written to `<include>/bpf/`.",
        "LIBBPF_HEADERS",
        &libbpf_paths,
    );
    let kernel_root = ours.join("kernel");
    let mut kernel = Vec::new();
    walk(&kernel_root, &mut kernel);
    kernel.sort();
    writeln!(
        code,
        "/// The generated kernel header set (tools/kheaders): path under `<include>/`, contents.\npub(crate) const KERNEL_HEADERS: &[(&str, &str)] = &["
    )
    .unwrap();
    for path in &kernel {
        let rel = path.strip_prefix(&kernel_root).expect("under the root");
        writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            rel.display().to_string(),
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    // Part of the cache key: a changed header must never reuse a stale cache entry.
    let mut hasher = std::hash::DefaultHasher::new();
    for path in names.iter().chain(&libbpf_paths).chain(&kernel) {
        std::hash::Hash::hash(
            &std::fs::read(path).expect("header is readable"),
            &mut hasher,
        );
    }
    writeln!(code, "/// Hash of every embedded header.\n#[allow(clippy::unreadable_literal, reason = \"generated\")]\npub(crate) const HEADERS_HASH: u64 = {};", std::hash::Hasher::finish(&hasher)).unwrap();
    std::fs::write(out_dir.join("headers.rs"), code).expect("OUT_DIR is writable");
}

/// Every file under `dir` (the kernel header set: `*.h` and `dropped.tsv`; not its report),
/// each registered for rerun.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "h" || e == "tsv") {
            out.push(path);
        }
    }
}

/// The runtime executable to embed.
fn runtime_path(manifest_dir: &Path, out_dir: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=BCCC_PREBUILT_RUNTIME");
    if let Some(path) = env::var_os("BCCC_PREBUILT_RUNTIME") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "BCCC_PREBUILT_RUNTIME={} is not a file",
            path.display()
        );
        println!("cargo:rerun-if-changed={}", path.display());
        return path;
    }
    let workspace = manifest_dir
        .parent()
        .expect("compiler/ lives in the workspace");
    // Cargo scans a directory given to rerun-if-changed recursively.
    for path in [
        "runtime/src",
        "runtime/manifest/src",
        "runtime/Cargo.toml",
        "runtime/manifest/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }
    match build_runtime(workspace, out_dir) {
        Ok(path) => path,
        Err(why) => {
            for line in why
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                println!("cargo:warning={line}");
            }
            println!(
                "cargo:warning=bccc is built WITHOUT its runtime: `bccc build` needs --runtime PATH"
            );
            let empty = out_dir.join("bccc-rt.missing");
            std::fs::write(&empty, b"").expect("OUT_DIR is writable");
            empty
        }
    }
}

/// Runs the nested `cargo build` of `bccc-rt` and returns the executable's path.
fn build_runtime(workspace: &Path, out_dir: &Path) -> Result<PathBuf, String> {
    // OUT_DIR is <target>/[<triple>/]<profile>/build/bccc-<hash>/out: its 4th ancestor is the
    // outer target dir (or its per-triple subdir), which persists across builds.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .unwrap_or(out_dir)
        .join("bccc-rt");
    let triple = env::var("TARGET").unwrap_or_else(|_| "x86_64-unknown-linux-gnu".into());
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--profile",
            "rt",
            "-p",
            "bccc-runtime",
            "--bin",
            "bccc-rt",
            "--target",
        ])
        .arg(&triple)
        .arg("--target-dir")
        .arg(&target_dir)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"));
    // The outer cargo's environment describes the *outer* build (bccc's profile, wrappers such
    // as clippy-driver, its flags and target dir); the nested build must not inherit it.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        let inherited =
            (key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_MAKEFLAGS")
                || key.starts_with("DEP_")
                || key.starts_with("RUSTC_")
                || matches!(
                    &*key,
                    "RUSTFLAGS"
                        | "RUSTDOCFLAGS"
                        | "OUT_DIR"
                        | "TARGET"
                        | "HOST"
                        | "PROFILE"
                        | "OPT_LEVEL"
                        | "DEBUG"
                        | "NUM_JOBS"
                        | "RUSTDOC"
                );
        if inherited {
            cmd.env_remove(&*key);
        }
    }
    // Fully static. Non-PIE (`relocation-model=static`) drops the 70 KB `.rela.dyn` a
    // static-pie carries, and no unwind tables (panic = "abort" in the rt profile) drops more:
    // together they keep the runtime under 2 MiB.
    let flags = [
        "-Ctarget-feature=+crt-static",
        "-Crelocation-model=static",
        "-Cforce-unwind-tables=no",
    ];
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run cargo for the runtime: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the nested build of bccc-rt failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let exe = target_dir.join(&triple).join("rt").join("bccc-rt");
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!("{} was not produced", exe.display()))
    }
}
