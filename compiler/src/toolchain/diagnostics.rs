//! The toolchain stage's diagnostics (`bccc::E061x`): problems with the build host, so they carry
//! no span, only what is wrong and the command that fixes it.

use std::ffi::OsStr;
use std::path::Path;

use super::cache::CacheError;
use crate::diagnostics::Diagnostic;

const INSTALL_CLANG: &str = "install it with `apt-get install clang-19`, or point BCCC_CLANG at a clang \
     (14 or newer, with the BPF target)";

/// No clang found.
pub(crate) fn clang_missing(bccc_clang: Option<&OsStr>) -> Diagnostic {
    let message = match bccc_clang {
        Some(name) => format!(
            "BCCC_CLANG={} is not an executable clang",
            name.to_string_lossy()
        ),
        None => "cannot find clang: neither `clang-19` nor `clang` is on PATH".into(),
    };
    Diagnostic::error("bccc::E0610", message, INSTALL_CLANG)
}

/// A clang that cannot compile BPF.
pub(crate) fn clang_unusable(path: &Path, version: &str, why: &str) -> Diagnostic {
    let shown = if version.is_empty() {
        String::new()
    } else {
        format!(" ({version})")
    };
    Diagnostic::error(
        "bccc::E0611",
        format!("`{}`{shown} cannot be used: {why}", path.display()),
        INSTALL_CLANG,
    )
}

/// clang could not be started at all.
pub(crate) fn clang_spawn(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0611",
        format!("cannot run `{}`: {e}", path.display()),
        INSTALL_CLANG,
    )
}

/// The BTF file is missing or unreadable.
pub(crate) fn btf_missing(path: &Path, explicit: bool, e: &std::io::Error) -> Diagnostic {
    let help = if explicit {
        "pass the path of a BTF file (raw BTF such as /sys/kernel/btf/vmlinux of the target kernel, or an ELF \
         with a .BTF section)"
    } else {
        "this kernel does not expose its BTF: it needs CONFIG_DEBUG_INFO_BTF=y; otherwise pass \
         `--btf FILE` with the target kernel's BTF"
    };
    Diagnostic::error(
        "bccc::E0612",
        format!("cannot read BTF from `{}`: {e}", path.display()),
        help,
    )
}

/// A `--btf-module` file is missing or unreadable.
pub(crate) fn module_missing(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0618",
        format!("cannot read module BTF from `{}`: {e}", path.display()),
        "pass a kernel module's BTF: /sys/kernel/btf/<module> of the target kernel, or the \
         module's .ko file (uncompressed: `xz -d` or `zstd -d` a .ko.xz/.ko.zst first)",
    )
}

/// The module BTFs do not fit the kernel BTF (another kernel's, or not BTF at all).
pub(crate) fn module_unusable(
    btf: &Path,
    modules: &[std::path::PathBuf],
    e: &bccc_ffi::btf_dump::DumpError,
) -> Diagnostic {
    let names: Vec<String> = modules
        .iter()
        .map(|m| format!("`{}`", m.display()))
        .collect();
    Diagnostic::error(
        "bccc::E0618",
        format!(
            "cannot use module BTF {} on top of `{}`: {e}",
            names.join(", "),
            btf.display()
        ),
        "a module's BTF is split BTF of the exact kernel build it came from: pass that kernel's \
         vmlinux BTF with `--btf` (the host's /sys/kernel/btf/vmlinux when the module is from \
         /sys/kernel/btf/), and uncompressed .ko files",
    )
}

/// Generating the cached headers failed.
pub(crate) fn cold(btf: &Path, e: &CacheError) -> Diagnostic {
    match e {
        CacheError::Dump(e) => Diagnostic::error(
            "bccc::E0613",
            format!("cannot generate vmlinux.h from `{}`: {e}", btf.display()),
            "check that the file is BTF (`bpftool btf dump file FILE` must accept it)",
        ),
        other => cache(other),
    }
}

/// The cache directory is unusable.
pub(crate) fn cache(e: &CacheError) -> Diagnostic {
    Diagnostic::error(
        "bccc::E0614",
        format!("cannot use the cache directory: {e}"),
        "set BCCC_CACHE_DIR to a writable directory",
    )
}

/// `bccc/base.h` (vmlinux.h + libbpf's headers) does not compile with this clang.
pub(crate) fn pch_failed(clang: &Path, stderr: &str) -> Diagnostic {
    let tail: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("error"))
        .take(5)
        .collect();
    Diagnostic::error(
        "bccc::E0615",
        format!(
            "`{}` cannot compile the generated kernel headers:\n{}",
            clang.display(),
            if tail.is_empty() { stderr.trim() } else { "" }.to_owned() + &tail.join("\n")
        ),
        "the BTF may come from a kernel newer than this clang understands; try a newer clang via BCCC_CLANG",
    )
}
