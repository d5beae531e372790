//! `bccc build`: the stages in order, each a plain function over the previous stage's value.
//!
//! source → toolchain (vmlinux.h, headers, PCH) → parse (libclang) → analyze (`Program`)
//! → rewrite (libbpf C + source map) → compile (BPF ELF) → package (manifest → binary).

use std::path::{Path, PathBuf};

use bccc_manifest::AttachSpec;

pub use crate::define::Define;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::SourceFile;
use crate::toolchain::{self, Arch};
use crate::{analyze, compile, package, parse, rewrite};

mod diagnostics;

/// What `bccc build` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Emit {
    /// A static executable: the runtime with the program embedded.
    #[default]
    Bin,
    /// The BPF ELF object (DWARF stripped, `.BTF` and `.BTF.ext` kept).
    Obj,
    /// The rewritten libbpf-style C.
    C,
    /// The manifest as JSON.
    Manifest,
    /// A Rust loader crate with typed maps and events.
    Crate,
}

/// Everything `bccc build` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The BCC-dialect C file.
    pub input: PathBuf,
    /// Where to write; defaults per [`Emit`] next to the current directory.
    pub output: Option<PathBuf>,
    /// What to write.
    pub emit: Emit,
    /// `-D` definitions.
    pub defines: Vec<Define>,
    /// `--attach SPEC` texts, unparsed.
    pub attach: Vec<String>,
    /// `--btf FILE` (default `/sys/kernel/btf/vmlinux`).
    pub btf: Option<PathBuf>,
    /// `--btf-module FILE`s: module BTFs (split on `btf`) whose types the program may use.
    pub btf_modules: Vec<PathBuf>,
    /// `--runtime PATH`: a runtime executable to use instead of the embedded one.
    pub runtime: Option<PathBuf>,
    /// Target architecture.
    pub arch: Arch,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Problems in the user's input or environment, already phrased as diagnostics.
    #[error("{0}")]
    Diagnostics(Diagnostics),
}

impl From<Diagnostics> for BuildError {
    fn from(d: Diagnostics) -> Self {
        BuildError::Diagnostics(d)
    }
}

impl From<Diagnostic> for BuildError {
    fn from(d: Diagnostic) -> Self {
        BuildError::Diagnostics(d.into())
    }
}

/// The default output path for an input and an emit kind: `./<stem>`, `./<stem>.bpf.o`, ...
#[must_use]
pub fn default_output(input: &Path, emit: Emit) -> PathBuf {
    let stem = input
        .file_stem()
        .map_or_else(|| "tool".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from(match emit {
        Emit::Bin | Emit::Crate => stem,
        Emit::Obj => format!("{stem}.bpf.o"),
        Emit::C => format!("{stem}.bpf.c"),
        Emit::Manifest => format!("{stem}.manifest.json"),
    })
}

/// Parses the `--attach` texts; each must name its function.
fn parse_cli_attach(texts: &[String]) -> Result<Vec<(AttachSpec, String)>, Diagnostics> {
    let mut out = Vec::new();
    let mut diags = Diagnostics::default();
    for text in texts {
        match AttachSpec::parse_with_fn(text) {
            Ok((spec, Some(func))) => out.push((spec, func)),
            Ok((_, None)) => diags.push(diagnostics::attach_without_function(text)),
            Err(e) => diags.push(diagnostics::bad_attach(text, &e)),
        }
    }
    diags.into_result(out)
}

/// Everything the front half produces, for callers that want the intermediate values (tests,
/// `--emit c`).
#[derive(Debug)]
pub struct Frontend {
    /// The user's file.
    pub source: SourceFile,
    /// The prepared kernel environment.
    pub env: toolchain::KernelEnv,
    /// What the analyzer found.
    pub program: analyze::Program,
    /// The rewritten C.
    pub rewritten: rewrite::Rewritten,
    /// Warnings collected on the way.
    pub warnings: Diagnostics,
}

/// Runs source → toolchain → parse → analyze → rewrite.
pub fn frontend(opts: &BuildOptions) -> Result<Frontend, BuildError> {
    let source = SourceFile::read(&opts.input)
        .map_err(|e| diagnostics::unreadable_input(&opts.input, &e))?;
    let cli_attach = parse_cli_attach(&opts.attach)?;
    if opts.defines.iter().any(|d| d.name == "BPF_LICENSE") {
        return Err(diagnostics::license_define().into());
    }
    // The kernel environment comes first: parsing needs vmlinux.h and its precompiled header.
    let mut env =
        toolchain::prepare_with_modules(opts.btf.as_deref(), &opts.btf_modules, opts.arch)?;
    let mut warnings = Diagnostics::default();
    let program = {
        let index = parse::new_index(&env)?;
        let parsed = parse::parse(&index, &source, &env, &opts.defines)?;
        warnings.0.extend(parsed.warnings().0.iter().cloned());
        // The parse may have added the host's module BTFs for types vmlinux lacks.
        if let Some(added) = parsed.kernel_env() {
            env = added.clone();
        }
        // `parsed` borrows libclang memory; the Program it yields owns plain data only.
        analyze::analyze(&parsed, &source, &cli_attach)?
    };
    let rewritten = rewrite::rewrite(&source, &program, &env)?;
    Ok(Frontend {
        source,
        env,
        program,
        rewritten,
        warnings,
    })
}

/// Runs every stage and writes the requested output; returns the path written and the warnings.
///
/// # Panics
/// Never: the manifest types serialize infallibly.
pub fn build(opts: &BuildOptions) -> Result<(PathBuf, Diagnostics), BuildError> {
    let out = opts
        .output
        .clone()
        .unwrap_or_else(|| default_output(&opts.input, opts.emit));
    let fe = frontend(opts)?;
    if opts.emit == Emit::C {
        package::write_atomic(&out, fe.rewritten.text.as_bytes(), 0o644)?;
        return Ok((out, fe.warnings));
    }
    if opts.emit == Emit::Crate {
        return Err(diagnostics::crate_unsupported().into());
    }
    let object = compile::compile(&fe.source, &fe.rewritten, &fe.env, &opts.defines)?;
    // The tool's name (its --help, its messages): the binary's file name, else (an object,
    // a manifest, standard output) the input's stem.
    let named = if opts.emit == Emit::Bin && out.as_os_str() != "-" {
        out.clone()
    } else {
        default_output(&opts.input, Emit::Bin)
    };
    let name = named
        .file_name()
        .map_or_else(|| "tool".into(), |n| n.to_string_lossy().into_owned());
    let manifest = package::manifest(&fe.source, &fe.program, &object, &name)?;
    match opts.emit {
        Emit::Obj => package::write_atomic(&out, &object.elf, 0o644)?,
        Emit::Manifest => {
            let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
            package::write_atomic(&out, json.as_bytes(), 0o644)?;
        }
        Emit::Bin => {
            let runtime = package::runtime_bytes(opts.runtime.as_deref())?;
            package::write_binary(&runtime, &manifest, &object, &out)?;
        }
        Emit::C | Emit::Crate => unreachable!("handled above"),
    }
    Ok((out, fe.warnings))
}
