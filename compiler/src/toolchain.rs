//! The build host's toolchain and kernel environment: finds clang and libclang, turns BTF into a
//! cached `vmlinux.h`, writes bccc's and libbpf's headers next to it and keeps precompiled
//! headers for both the libclang parse and the clang compile.
//!
//! Consumes the BTF path (`/sys/kernel/btf/vmlinux` or `--btf FILE`); produces a [`KernelEnv`]
//! that the parse and compile stages read. Everything it writes goes to the user's cache dir,
//! each file written to a temporary name and renamed into place.

use std::path::PathBuf;

/// The target architecture of the BPF object (selects `PT_REGS_*` and syscall registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arch {
    /// x86_64.
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

/// The prepared kernel environment for one BTF file.
#[derive(Debug, Clone)]
pub struct KernelEnv {
    /// The BTF the headers were generated from.
    pub btf: PathBuf,
    /// Directory holding `vmlinux.h`, `bpf/*.h` (libbpf's) and `bccc/*.h` (ours); passed as `-I`.
    pub include_dir: PathBuf,
    /// Precompiled `bccc/base.h` for the libclang parse, if it could be built.
    pub parse_pch: Option<PathBuf>,
    /// Precompiled `bccc/base.h` for the clang compile, if it could be built.
    pub compile_pch: Option<PathBuf>,
    /// The clang binary used to compile.
    pub clang: PathBuf,
    /// Target architecture.
    pub arch: Arch,
}

/// Prepares (or reuses from the cache) the kernel environment for `btf` (default
/// `/sys/kernel/btf/vmlinux`).
pub fn prepare(_btf: Option<&std::path::Path>, _arch: Arch) -> Result<KernelEnv, crate::diagnostics::Diagnostic> {
    Err(crate::diagnostics::Diagnostic::error("bccc::E0600", "toolchain discovery is not built yet", ""))
}
