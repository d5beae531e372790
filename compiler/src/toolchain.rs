//! The build host's toolchain and kernel environment: finds clang, turns BTF into a cached
//! `vmlinux.h`, writes bccc's and libbpf's headers next to it and keeps precompiled headers of
//! `bccc/base.h` for both the libclang parse and the clang compile.
//!
//! Consumes the BTF path (`/sys/kernel/btf/vmlinux` or `--btf FILE`) and module BTFs
//! (`--btf-module FILE`, split BTF on top of it, whose types vmlinux.h then also declares);
//! produces a [`KernelEnv`]
//! that the parse and compile stages read. Everything it writes goes to the user's cache dir
//! (see [`cache_root`]), each file or directory written under a temporary name and renamed into
//! place, so a concurrent bccc never sees half-written files. A warm call only stats files.

// `Diagnostic` is the project-wide error type these stage functions return by contract.
#![allow(
    clippy::result_large_err,
    reason = "Diagnostic is the shared user-facing error type"
)]

mod cache;
mod clang;
mod diagnostics;
pub mod helpers_off;
pub mod kheaders;

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;

pub use cache::cache_root;
pub use clang::{Clang, MIN_MAJOR};

/// The target architecture of the BPF object (selects `PT_REGS_*` and syscall registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arch {
    /// `x86_64`.
    #[default]
    X86,
    /// aarch64.
    Arm64,
}

impl Arch {
    /// The value of `__TARGET_ARCH_<arch>` as libbpf's headers spell it.
    #[must_use]
    pub fn target_macro(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::Arm64 => "arm64",
        }
    }
}

/// Flags shared by the libclang parse and the clang compile, so both see the same C.
///
/// These mirror the warnings BCC silences (spec A.6): BCC programs rely on them.
#[must_use]
pub fn common_flags(arch: Arch) -> Vec<String> {
    let mut flags: Vec<String> = [
        "-target",
        "bpf",
        "-O2",
        "-g",
        // 32-bit ALU and jumps (Linux 5.1+; bccc's oldest kernel is 5.10): a bounds check on a
        // u32 stays on the register the access uses, where v1's 64-bit re-extensions lose it
        // (kvmexit's `exit_ct[er]` after `if (er >= N)`).
        "-mcpu=v3",
        "-fno-stack-protector",
        "-fms-extensions",
        "-Wno-microsoft-anon-tag",
        "-Wno-unused-value",
        "-Wno-pointer-sign",
        "-Wno-deprecated-declarations",
        "-Wno-gnu-variable-sized-type-not-at-end",
        "-Wno-pragma-once-outside-header",
        "-Wno-address-of-packed-member",
        "-Wno-unknown-warning-option",
        "-Wno-int-conversion",
        "-Wno-incompatible-pointer-types",
        "-Wno-int-to-pointer-cast",
        "-Wno-pointer-to-int-cast",
        "-Wno-unused-command-line-argument",
        "-fno-unwind-tables",
        "-fno-asynchronous-unwind-tables",
    ]
    .map(String::from)
    .to_vec();
    flags.push(format!("-D__TARGET_ARCH_{}", arch.target_macro()));
    flags.push("-D__BCCC__".into());
    flags
}

/// Which consumer a set of flags (and its precompiled header) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The libclang parse (parse stage).
    Parse,
    /// `clang -c` (compile stage).
    Compile,
}

/// The header every translation unit starts with, relative to [`KernelEnv::include_dir`].
pub const BASE_HEADER: &str = "bccc/base.h";

/// The prepared kernel environment for one BTF file.
#[derive(Debug, Clone)]
pub struct KernelEnv {
    /// The BTF the headers were generated from.
    pub btf: PathBuf,
    /// Module BTFs (split on `btf`) whose types the headers declare too, in the order given.
    pub modules: Vec<PathBuf>,
    /// Directory holding `vmlinux.h`, `bpf/*.h` (libbpf's) and `bccc/*.h` (ours); passed as `-I`.
    pub include_dir: PathBuf,
    /// Precompiled `bccc/base.h` built with [`KernelEnv::pch_flags`]`(Stage::Parse)`.
    pub parse_pch: Option<PathBuf>,
    /// Precompiled `bccc/base.h` built with [`KernelEnv::pch_flags`]`(Stage::Compile)`.
    pub compile_pch: Option<PathBuf>,
    /// The clang binary used to compile.
    pub clang: PathBuf,
    /// Its version (part of every precompiled header's name).
    pub clang_version: String,
    /// The cache directory of this environment (`include_dir`'s parent; precompiled headers).
    pub cache_dir: PathBuf,
    /// Target architecture.
    pub arch: Arch,
}

impl KernelEnv {
    /// The flags a precompiled `bccc/base.h` for `stage` is built with. Every use of that PCH
    /// must start with exactly these flags (clang rejects a PCH whose `-O`, `-g`, target or
    /// predefined macros differ). Today both stages use the same list; they are kept apart so
    /// either can change without silently invalidating the other's PCH.
    #[must_use]
    pub fn pch_flags(&self, _stage: Stage) -> Vec<String> {
        let mut flags = common_flags(self.arch);
        flags.push(format!("-I{}", self.include_dir.display()));
        flags
    }

    /// The complete flags for `stage` minus the input, output and user `-D`s: the PCH flags plus
    /// `-include-pch <pch>` when there is one, else `-include bccc/base.h`. Either way the
    /// translation unit sees `bccc/base.h` first, so rewritten C need not include it.
    #[must_use]
    pub fn flags(&self, stage: Stage) -> Vec<String> {
        let mut flags = self.pch_flags(stage);
        let pch = match stage {
            Stage::Parse => &self.parse_pch,
            Stage::Compile => &self.compile_pch,
        };
        match pch {
            Some(pch) => flags.extend(["-include-pch".into(), pch.display().to_string()]),
            None => flags.extend(["-include".into(), BASE_HEADER.into()]),
        }
        flags
    }

    /// The same environment without precompiled headers (the fallback when clang rejects one,
    /// e.g. after the cache was copied without preserving modification times).
    #[must_use]
    pub fn without_pch(&self) -> KernelEnv {
        KernelEnv {
            parse_pch: None,
            compile_pch: None,
            ..self.clone()
        }
    }
}

/// The BTF read when no `--btf` is given.
pub const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Where the running kernel exposes its BTF, vmlinux's and each loaded module's.
pub const HOST_BTF_DIR: &str = "/sys/kernel/btf";

/// The module BTFs of the running kernel (`/sys/kernel/btf/*` but vmlinux), sorted.
#[must_use]
pub fn host_modules() -> Vec<PathBuf> {
    modules_in(Path::new(HOST_BTF_DIR))
}

/// The files of `dir` but `vmlinux`, sorted (a directory laid out like `/sys/kernel/btf`).
#[must_use]
pub fn modules_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "vmlinux"))
        .collect();
    out.sort();
    out
}

/// Which of `modules` (split BTF on `vmlinux`) define a struct or union named in `names`, with
/// the names each defines; unreadable files are skipped (the search only adds what it finds).
#[must_use]
pub fn modules_defining(
    vmlinux: &Path,
    modules: &[PathBuf],
    names: &[String],
) -> Vec<(PathBuf, Vec<String>)> {
    if modules.is_empty() || names.is_empty() {
        return Vec::new();
    }
    bccc_ffi::btf_dump::KernelBtf::modules_defining(vmlinux, modules, names).unwrap_or_default()
}

/// Prepares (or reuses from the cache) the kernel environment for `btf` (default
/// [`KERNEL_BTF`]).
pub fn prepare(btf: Option<&Path>, arch: Arch) -> Result<KernelEnv, Diagnostic> {
    let root = cache_root().map_err(|e| diagnostics::cache(&e))?;
    prepare_in(&root, btf, arch)
}

/// [`prepare`] with module BTFs whose types the headers declare too.
pub fn prepare_with_modules(
    btf: Option<&Path>,
    modules: &[PathBuf],
    arch: Arch,
) -> Result<KernelEnv, Diagnostic> {
    let root = cache_root().map_err(|e| diagnostics::cache(&e))?;
    prepare_modules_in(&root, btf, modules, arch)
}

/// [`prepare`] with an explicit cache root (tests; `BCCC_CACHE_DIR` does the same for users).
pub fn prepare_in(root: &Path, btf: Option<&Path>, arch: Arch) -> Result<KernelEnv, Diagnostic> {
    prepare_modules_in(root, btf, &[], arch)
}

/// The identity of the kernel BTF and its modules: every file's identity, in order.
fn kernel_identity(btf: &Path, explicit: bool, modules: &[PathBuf]) -> Result<u64, Diagnostic> {
    let base = cache::btf_identity(btf).map_err(|e| diagnostics::btf_missing(btf, explicit, &e))?;
    if modules.is_empty() {
        return Ok(base);
    }
    let mut ids = vec![base];
    for m in modules {
        ids.push(cache::btf_identity(m).map_err(|e| diagnostics::module_missing(m, &e))?);
    }
    // Fails early with the module named when a file is not split BTF of this vmlinux (libbpf
    // checks the base's type and string counts), before anything is written to the cache.
    bccc_ffi::btf_dump::KernelBtf::open(btf, modules)
        .map_err(|e| diagnostics::module_unusable(btf, modules, &e))?;
    Ok(cache::hash_ids(&ids))
}

/// [`prepare_with_modules`] with an explicit cache root.
pub fn prepare_modules_in(
    root: &Path,
    btf: Option<&Path>,
    modules: &[PathBuf],
    arch: Arch,
) -> Result<KernelEnv, Diagnostic> {
    let btf_path = btf.map_or_else(|| PathBuf::from(KERNEL_BTF), Path::to_path_buf);
    let btf_id = kernel_identity(&btf_path, btf.is_some(), modules)?;
    std::fs::create_dir_all(root)
        .map_err(|e| diagnostics::cache(&cache::CacheError::io(root, e)))?;
    let clang = Clang::find(root)?;
    let env_dir = root.join(format!(
        "env-{:016x}",
        cache::env_key(btf_id, &clang.version)
    ));
    let include_dir = env_dir.join("include");
    if !include_dir.is_dir() {
        cache::write_include_dir(&env_dir, &btf_path, modules)
            .map_err(|e| diagnostics::cold(&btf_path, &e))?;
    }
    let mut env = KernelEnv {
        btf: btf_path,
        modules: modules.to_vec(),
        include_dir,
        parse_pch: None,
        compile_pch: None,
        clang: clang.path.clone(),
        clang_version: clang.version.clone(),
        cache_dir: env_dir,
        arch,
    };
    env.parse_pch = Some(env.ensure_pch(Stage::Parse, BASE_HEADER, "base")?);
    env.compile_pch = Some(env.ensure_pch(Stage::Compile, BASE_HEADER, "base")?);
    Ok(env)
}

impl KernelEnv {
    /// The environment with the program's leading kernel `#include`s (`headers`, as written
    /// between `<>`) precompiled after `bccc/base.h`, so a warm build does not parse them again;
    /// headers bccc's set lacks are left to the parse (which stubs them). One precompiled
    /// header per distinct list, built once and cached next to the base one.
    pub fn with_includes(&self, headers: &[String]) -> Result<KernelEnv, Diagnostic> {
        let present: Vec<&String> = headers
            .iter()
            .filter(|h| self.include_dir.join(h).is_file())
            .collect();
        if present.is_empty() || self.parse_pch.is_none() {
            return Ok(self.clone());
        }
        let text: String = std::iter::once(format!("#include \"{BASE_HEADER}\"\n"))
            .chain(present.iter().map(|h| format!("#include <{h}>\n")))
            .collect();
        let key = cache::hash_strs(&self.clang_version, std::slice::from_ref(&text));
        let header = self.include_dir.join(format!("bccc/includes-{key:016x}.h"));
        if !header.is_file() {
            cache::write_file_atomic(&header, text.as_bytes())
                .map_err(|e| diagnostics::cache(&e))?;
        }
        let rel = format!("bccc/includes-{key:016x}.h");
        let name = format!("includes-{key:016x}");
        Ok(KernelEnv {
            parse_pch: Some(self.ensure_pch(Stage::Parse, &rel, &name)?),
            compile_pch: Some(self.ensure_pch(Stage::Compile, &rel, &name)?),
            ..self.clone()
        })
    }

    /// Returns the PCH of `header` (relative to the include dir) for `stage`'s flags, building it
    /// when absent. Named `<name>-<hash of the flags and clang's version>.pch`, never
    /// `<header>.pch` (clang would pick that up implicitly).
    fn ensure_pch(&self, stage: Stage, header: &str, name: &str) -> Result<PathBuf, Diagnostic> {
        let flags = self.pch_flags(stage);
        let pch = self.cache_dir.join(format!(
            "{name}-{:016x}.pch",
            cache::hash_strs(&self.clang_version, &flags)
        ));
        if pch.is_file() {
            return Ok(pch);
        }
        let tmp = cache::temp_sibling(&pch);
        let out = std::process::Command::new(&self.clang)
            .args(&flags)
            .args(["-x", "c-header"])
            .arg(self.include_dir.join(header))
            .arg("-o")
            .arg(&tmp)
            .output()
            .map_err(|e| diagnostics::clang_spawn(&self.clang, &e))?;
        if !out.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(diagnostics::pch_failed(
                &self.clang,
                &String::from_utf8_lossy(&out.stderr),
            ));
        }
        std::fs::rename(&tmp, &pch)
            .map_err(|e| diagnostics::cache(&cache::CacheError::io(&pch, e)))?;
        Ok(pch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_use_the_pch_or_include_the_base_header() {
        let env = KernelEnv {
            btf: KERNEL_BTF.into(),
            modules: Vec::new(),
            include_dir: "/c/include".into(),
            parse_pch: Some("/c/p.pch".into()),
            compile_pch: None,
            clang: "clang".into(),
            clang_version: "19".into(),
            cache_dir: "/c".into(),
            arch: Arch::X86,
        };
        let parse = env.flags(Stage::Parse);
        assert!(parse.starts_with(&env.pch_flags(Stage::Parse)));
        assert!(parse.ends_with(&["-include-pch".into(), "/c/p.pch".into()]));
        assert!(
            env.flags(Stage::Compile)
                .ends_with(&["-include".into(), BASE_HEADER.into()])
        );
        assert!(parse.contains(&"-I/c/include".to_string()));
        assert!(parse.contains(&"-D__TARGET_ARCH_x86".to_string()));
    }
}
