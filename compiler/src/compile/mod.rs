//! compile: rewritten C → BPF ELF object with `.BTF` and `.BTF.ext`, DWARF stripped.
//!
//! Runs clang `-target bpf -O2 -g` against the cached vmlinux.h (through the precompiled
//! `bccc/base.h`), maps clang's errors back to the user's lines (the rewritten C carries `#line`
//! directives naming the user's file), strips DWARF and reads the facts the package stage needs.

mod diagnostics;
mod elf;

use std::path::Path;
use std::process::Command;

pub use elf::{ElfError, ElfFacts, ObjSymbol, strip_dwarf};

use crate::define::Define;
use crate::diagnostics::Diagnostics;
use crate::rewrite::Rewritten;
use crate::source::SourceFile;
use crate::toolchain::{KernelEnv, Stage};

/// A compiled BPF object.
#[derive(Debug, Clone)]
pub struct Object {
    /// The ELF bytes, DWARF stripped; `.BTF` and `.BTF.ext` present.
    pub elf: Vec<u8>,
    /// What the package stage reads from the ELF (`.BTF` bytes, defined symbols).
    pub facts: ElfFacts,
    /// clang's warnings about the user's code.
    pub warnings: Diagnostics,
}

impl Object {
    /// The symbol `name` defined in `section`, if any.
    #[must_use]
    pub fn symbol(&self, name: &str, section: &str) -> Option<&ObjSymbol> {
        self.facts
            .symbols
            .iter()
            .find(|s| s.name == name && s.section == section)
    }
}

/// What one clang run left behind.
struct ClangRun {
    ok: bool,
    stderr: String,
    object: Option<Vec<u8>>,
}

/// Compiles the rewritten C.
pub fn compile(
    source: &SourceFile,
    rewritten: &Rewritten,
    env: &KernelEnv,
    defines: &[Define],
) -> Result<Object, Diagnostics> {
    let dir = tempfile::Builder::new()
        .prefix("bccc-")
        .tempdir()
        .map_err(|e| diagnostics::io("a temporary directory", &e))?;
    let stem = source
        .path()
        .file_stem()
        .map_or_else(|| "tool".into(), |s| s.to_string_lossy().into_owned());
    let c_file = dir.path().join(format!("{stem}.bpf.c"));
    std::fs::write(&c_file, &rewritten.text)
        .map_err(|e| diagnostics::io(&c_file.display().to_string(), &e))?;
    let mut run = run_clang(env, defines, &c_file)?;
    // A PCH that no longer matches its headers (a cache copied without mtimes, a clang upgraded
    // in place) must not fail the build: retry once without it.
    if !run.ok && env.compile_pch.is_some() && diagnostics::is_pch_problem(&run.stderr) {
        run = run_clang(&env.without_pch(), defines, &c_file)?;
    }
    let file_name = c_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let generated = diagnostics::Generated {
        rewritten,
        file_name: &file_name,
    };
    let parsed = diagnostics::from_clang(source, &generated, &run.stderr);
    let object = match run.object {
        Some(object) if run.ok => object,
        _ => return Err(diagnostics::failed(parsed, &run.stderr)),
    };
    let elf = strip_dwarf(&object).map_err(|e| diagnostics::bad_object(&e))?;
    let facts = elf::facts(&elf).map_err(|e| diagnostics::bad_object(&e))?;
    Ok(Object {
        elf,
        facts,
        warnings: parsed,
    })
}

/// A command running `clang` with address-space randomization off, when util-linux's `setarch`
/// is there (it is on every Debian system): clang's BTF type order depends on where the
/// precompiled header's declarations land in memory, so with ASLR two builds of one source
/// differ in their `.BTF` bytes (the code is the same). Without `setarch`, plain clang.
fn clang_command(clang: &Path) -> Command {
    static SETARCH: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let setarch = SETARCH.get_or_init(|| {
        // Some sandboxes refuse personality(2): use setarch only if it works here.
        ["/usr/bin/setarch", "/bin/setarch"]
            .into_iter()
            .map(std::path::PathBuf::from)
            .find(|p| p.is_file())
            .filter(|p| {
                Command::new(p)
                    .args([std::env::consts::ARCH, "-R", "true"])
                    .status()
                    .is_ok_and(|s| s.success())
            })
    });
    match setarch {
        Some(setarch) => {
            let mut cmd = Command::new(setarch);
            cmd.args([std::env::consts::ARCH, "-R"]).arg(clang);
            cmd
        }
        None => Command::new(clang),
    }
}

fn run_clang(env: &KernelEnv, defines: &[Define], c_file: &Path) -> Result<ClangRun, Diagnostics> {
    let o_file = c_file.with_extension("o");
    let out = clang_command(&env.clang)
        .args(env.flags(Stage::Compile))
        .args(defines.iter().map(Define::flag))
        // One line per diagnostic, no colour: the output is parsed, not shown.
        .args(["-fno-color-diagnostics", "-fno-caret-diagnostics"])
        // No `.llvm_addrsig`: libbpf ignores it and object's ELF builder cannot rewrite it.
        .arg("-fno-addrsig")
        // The temporary directory's random name would otherwise land in the BTF line info,
        // making two builds of the same source differ.
        .arg(format!(
            "-ffile-prefix-map={}=.",
            c_file.parent().unwrap_or(Path::new(".")).display()
        ))
        .arg("-c")
        .arg(c_file)
        .arg("-o")
        .arg(&o_file)
        .output()
        .map_err(|e| diagnostics::spawn(&env.clang, &e))?;
    let object = if out.status.success() {
        std::fs::read(&o_file).ok()
    } else {
        None
    };
    Ok(ClangRun {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        object,
    })
}
