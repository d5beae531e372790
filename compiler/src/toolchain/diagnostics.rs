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
