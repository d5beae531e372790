//! The runtime of a bccc-built tool: reads its own payload, loads the BPF object, attaches,
//! prints what BCC's Python printed, and detaches on exit.
//!
//! Pure modules (no syscalls; unit-tested byte for byte):
//! - [`payload`]: ELF bytes → the `.bccc.payload` section → manifest + object;
//! - [`cli`]: manifest → command line (built-in flags + one flag per parameter) → [`cli::Options`];
//! - [`value`], [`columns`]: bytes + layout → values → event columns / JSON;
//! - [`hist`], [`view`]: map entries → `print_log2_hist` / `print_linear_hist` text, count tables;
//! - [`ksyms`]: kallsyms text → kprobe candidates, `kprobe:re:` expansion;
//! - [`records`]: kernel BTF + tracepoint records + format files → BTF for CO-RE.
//!
//! Side-effect modules: [`sys`] (what `/proc` and `/sys` say), [`userspace`] (uprobe binaries and
//! symbols), [`targets`] (attach spec → target that exists here), [`libbpf_log`], `load`,
//! `attach`, `events` (perf/ring buffers, `trace_pipe`), `maps` (reading tables),
//! `preflight`, `session` (the run loop).

pub mod cli;
pub mod columns;
pub mod error;
pub mod hist;
pub mod ksyms;
pub mod libbpf_log;
pub mod payload;
pub mod records;
pub mod sys;
pub mod targets;
pub mod userspace;
pub mod value;
pub mod view;

mod attach;
mod events;
mod load;
mod maps;
mod preflight;
mod session;
mod signature;

use std::ffi::OsString;
use std::io::Write;

use bccc_manifest::Manifest;

pub use error::RunError;
pub use session::READY;

/// Runs a tool: parses `args` (program name first) against the manifest's flags, then loads
/// `object`, attaches, prints to `out` (events, tables, histograms) and `err` (status, errors),
/// and returns the exit status: 0 after a normal stop, 1 on an error, 2 on a usage error.
pub fn run(
    manifest: &Manifest,
    object: &[u8],
    args: Vec<OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let opts = match cli::parse(manifest, args) {
        Ok(o) => o,
        Err(e) => {
            let text = e.render().to_string();
            let sink: &mut dyn Write = if e.use_stderr() { err } else { out };
            let _ = sink.write_all(text.as_bytes());
            return e.exit_code();
        }
    };
    if opts.preflight {
        return preflight::run(manifest, out);
    }
    match session::run(manifest, object, &opts, out, err) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "{}: error: {e}", manifest.tool.name);
            1
        }
    }
}

/// Loads `object` as a built tool does (tracepoint records described from this kernel's format
/// files, parameters at their compiled defaults), attaching nothing, then unloads it: whether
/// this kernel's verifier accepts every program. Objects that read tracepoint records need this
/// (or the manifest's records described to libbpf some other way): plain libbpf cannot resolve
/// their `struct tracepoint__<cat>__<ev>` relocations.
pub fn verify(manifest: &Manifest, object: &[u8]) -> Result<(), RunError> {
    libbpf_log::install(false);
    load::load(manifest, object, &[]).map(drop)
}

/// The entry point of `bccc-rt` and every tool built from it: reads the payload of
/// `/proc/self/exe` and [`run`]s it with the process's arguments on stdout/stderr. Exit
/// status 2 when the executable carries no payload.
#[must_use]
pub fn main_from_exe() -> i32 {
    let mut err = std::io::stderr();
    let section = std::fs::File::open("/proc/self/exe")
        .map_err(|e| payload::FindError::NotElf(e.to_string()))
        .and_then(|f| payload::read_file(&f));
    let decoded = section.and_then(|bytes| {
        let (manifest, object) = bccc_manifest::payload::decode(&bytes)?;
        Ok((manifest, object.to_vec()))
    });
    match decoded {
        Ok((manifest, object)) => {
            let mut out = std::io::stdout().lock();
            run(
                &manifest,
                &object,
                std::env::args_os().collect(),
                &mut out,
                &mut err,
            )
        }
        Err(payload::FindError::NoPayload) => {
            let _ = writeln!(
                err,
                "bccc-rt: this is the bare bccc runtime, with no BPF program inside.\n\
                 Build a tool with `bccc build tool.c -o tool` and run `./tool` instead."
            );
            2
        }
        Err(e) => {
            let _ = writeln!(err, "bccc-rt: the embedded program cannot be read: {e}");
            2
        }
    }
}
