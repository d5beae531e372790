//! The on-disk cache: where it lives, how entries are keyed, and how they are written so that a
//! concurrent bccc never observes a half-written file (temporary name + `rename`).
//!
//! Layout under the root: `clang-<key>.txt` (a probed clang's version), and per environment
//! `env-<key>/include/{vmlinux.h,bpf/*.h,bccc/*.h,<kernel set>}` plus
//! `env-<key>/base-<flags>.pch`.

use std::hash::{Hash, Hasher};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

include!(concat!(env!("OUT_DIR"), "/headers.rs"));

/// Why the cache could not be used or filled.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// None of `BCCC_CACHE_DIR`, `XDG_CACHE_HOME`, `HOME` is set.
    #[error("no cache directory: none of BCCC_CACHE_DIR, XDG_CACHE_HOME, HOME is set")]
    NoHome,
    /// Reading or writing a cache file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// libbpf could not turn the BTF into C.
    #[error(transparent)]
    Dump(#[from] bccc_ffi::btf_dump::DumpError),
}

impl CacheError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: &Path, source: io::Error) -> CacheError {
        CacheError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// The cache root: `$BCCC_CACHE_DIR`, else `$XDG_CACHE_HOME/bccc`, else `~/.cache/bccc`.
pub fn cache_root() -> Result<PathBuf, CacheError> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("BCCC_CACHE_DIR") {
        return Ok(dir);
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(dir.join("bccc"));
    }
    var("HOME")
        .map(|h| h.join(".cache").join("bccc"))
        .ok_or(CacheError::NoHome)
}

fn hasher() -> std::hash::DefaultHasher {
    std::hash::DefaultHasher::new()
}

/// What identifies the BTF's contents, cheaply. `/sys/kernel/btf/vmlinux` cannot change without
/// a reboot, and its inode, size and timestamps are per boot, so a `stat` suffices; any other
/// file is hashed by content (a few ms for 5 MB), because copies keep names but not contents.
pub(crate) fn btf_identity(path: &Path) -> io::Result<u64> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if path.starts_with("/sys") {
        return Ok(stat_key(path, &meta));
    }
    let mut h = hasher();
    std::fs::read(path)?.hash(&mut h);
    Ok(h.finish())
}

/// The key of one environment directory: everything its files depend on.
pub(crate) fn env_key(btf_identity: u64, clang_version: &str) -> u64 {
    let mut h = hasher();
    (
        btf_identity,
        env!("CARGO_PKG_VERSION"),
        clang_version,
        HEADERS_HASH,
        super::helpers_off::FORMAT,
    )
        .hash(&mut h);
    h.finish()
}

/// One identity for several files' identities (a kernel BTF and its modules, in order).
pub(crate) fn hash_ids(ids: &[u64]) -> u64 {
    let mut h = hasher();
    ids.hash(&mut h);
    h.finish()
}

/// A hash of a string and a list of strings (a PCH's clang version and flags).
pub(crate) fn hash_strs(first: &str, rest: &[String]) -> u64 {
    let mut h = hasher();
    (first, rest).hash(&mut h);
    h.finish()
}

/// A hash of a file's identity on disk (path, device, inode, size, mtime).
pub(crate) fn stat_key(path: &Path, meta: &std::fs::Metadata) -> u64 {
    let mut h = hasher();
    (
        path,
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
    )
        .hash(&mut h);
    h.finish()
}

/// A unique temporary name next to `path` (same directory, so `rename` is atomic).
pub(crate) fn temp_sibling(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(|| "tmp".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub(crate) fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let tmp = temp_sibling(path);
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(CacheError::io(path, e));
    }
    Ok(())
}

/// Fills `<env_dir>/include`: vmlinux.h dumped from `btf` (and the types of the split BTFs in
/// `modules`), libbpf's headers in `bpf/`, ours in `bccc/`, the generated kernel header set at
/// the root (`linux/`, `net/`, `asm/`, ...) with the helpers these BTFs cannot compile turned off
/// (`bccc/kheaders_off.h`). The whole directory is built under a temporary name and renamed, so
/// it either exists complete or not at all; when another bccc won the race, its copy is kept.
pub(crate) fn write_include_dir(
    env_dir: &Path,
    btf: &Path,
    modules: &[PathBuf],
) -> Result<(), CacheError> {
    let vmlinux = bccc_ffi::btf_dump::KernelBtf::open(btf, modules)?.dump_c()?;
    std::fs::create_dir_all(env_dir).map_err(|e| CacheError::io(env_dir, e))?;
    let include = env_dir.join("include");
    let tmp = temp_sibling(&include);
    let result =
        fill(&tmp, &vmlinux, btf, modules).and_then(|()| match std::fs::rename(&tmp, &include) {
            Ok(()) => Ok(()),
            // rename(2) onto a non-empty directory fails: another bccc finished first.
            Err(_) if include.join("vmlinux.h").is_file() => {
                let _ = std::fs::remove_dir_all(&tmp);
                Ok(())
            }
            Err(e) => Err(CacheError::io(&include, e)),
        });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn fill(dir: &Path, vmlinux: &str, btf: &Path, modules: &[PathBuf]) -> Result<(), CacheError> {
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| CacheError::io(&path, e))
    };
    for sub in ["bpf", "bccc"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).map_err(|e| CacheError::io(&path, e))?;
    }
    write(dir.join("vmlinux.h"), vmlinux)?;
    for (name, text) in LIBBPF_HEADERS {
        write(dir.join("bpf").join(name), text)?;
    }
    for (name, text) in BCCC_HEADERS {
        write(dir.join("bccc").join(name), text)?;
    }
    // The kernel set sits at the include root, where `#include <linux/sched.h>` finds it.
    let is_header = |r: &str| Path::new(r).extension().is_some_and(|e| e == "h");
    for (rel, text) in KERNEL_HEADERS.iter().filter(|(r, _)| is_header(r)) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| CacheError::io(parent, e))?;
        }
        write(path, text)?;
    }
    // The set's helpers this BTF cannot compile (config-dependent types and members).
    let needs = KERNEL_HEADERS
        .iter()
        .find(|(r, _)| *r == "needs.tsv")
        .map_or("", |(_, t)| *t);
    let (header, table) = super::helpers_off::render(btf, modules, needs);
    write(dir.join(super::helpers_off::OFF_HEADER), &header)?;
    write(dir.join(super::helpers_off::OFF_TABLE), &table)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_headers_are_complete() {
        let names: Vec<_> = LIBBPF_HEADERS.iter().map(|(n, _)| *n).collect();
        for want in [
            "bpf_helpers.h",
            "bpf_helper_defs.h",
            "bpf_tracing.h",
            "bpf_core_read.h",
            "bpf_endian.h",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        let base = BCCC_HEADERS
            .iter()
            .find(|(n, _)| *n == "base.h")
            .expect("base.h embedded");
        assert!(base.1.contains("BCCC_ANCHOR_TYPE"));
    }

    #[test]
    fn content_identity_follows_content_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"one").unwrap();
        std::fs::write(&b, b"one").unwrap();
        assert_eq!(btf_identity(&a).unwrap(), btf_identity(&b).unwrap());
        std::fs::write(&b, b"two").unwrap();
        assert_ne!(btf_identity(&a).unwrap(), btf_identity(&b).unwrap());
        assert!(btf_identity(dir.path()).is_err(), "a directory is not BTF");
    }

    #[test]
    fn atomic_write_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_file_atomic(&path, b"x").unwrap();
        write_file_atomic(&path, b"y").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"y");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
