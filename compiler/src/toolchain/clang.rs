//! Finding the clang that compiles BPF: `$BCCC_CLANG`, else `clang-19`, else `clang` on `PATH`;
//! it must be clang ≥ 14 with the BPF target. The probe (two clang runs, tens of ms) is cached
//! by the binary's identity on disk, so a warm lookup is a `stat` and a small read.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache;
use super::diagnostics;
use crate::diagnostics::Diagnostic;

/// The oldest clang whose BPF backend emits the BTF and CO-RE relocations libbpf needs.
pub const MIN_MAJOR: u32 = 14;

/// Names looked up on `PATH` when `BCCC_CLANG` is unset, in order.
const CANDIDATES: [&str; 2] = ["clang-19", "clang"];

/// A usable clang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clang {
    /// The executable.
    pub path: PathBuf,
    /// The first line of `clang --version` (part of every cache key).
    pub version: String,
    /// The major version.
    pub major: u32,
}

impl Clang {
    /// Finds and checks clang, using (and filling) the probe cache under `cache_root`.
    pub fn find(cache_root: &Path) -> Result<Clang, Diagnostic> {
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let path = match std::env::var_os("BCCC_CLANG").filter(|v| !v.is_empty()) {
            Some(name) => {
                resolve(&name, &path_var).ok_or_else(|| diagnostics::clang_missing(Some(&name)))?
            }
            None => CANDIDATES
                .iter()
                .find_map(|name| resolve(name.as_ref(), &path_var))
                .ok_or_else(|| diagnostics::clang_missing(None))?,
        };
        Clang::probe(&path, cache_root)
    }

    /// Checks the clang at `path` (cached by its path, inode, size and mtime).
    pub fn probe(path: &Path, cache_root: &Path) -> Result<Clang, Diagnostic> {
        let meta = std::fs::metadata(path).map_err(|e| diagnostics::clang_spawn(path, &e))?;
        let record = cache_root.join(format!("clang-{:016x}.txt", cache::stat_key(path, &meta)));
        if let Ok(version) = std::fs::read_to_string(&record)
            && let Some(major) = parse_major(&version)
        {
            return Ok(Clang {
                path: path.to_owned(),
                version,
                major,
            });
        }
        let version = run(path, &["--version"])?
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let major = parse_major(&version).ok_or_else(|| {
            diagnostics::clang_unusable(path, &version, "its version is unreadable")
        })?;
        if major < MIN_MAJOR {
            return Err(diagnostics::clang_unusable(
                path,
                &version,
                &format!("clang {MIN_MAJOR} or newer is needed"),
            ));
        }
        let targets = run(path, &["-print-targets"])?;
        if !targets
            .lines()
            .any(|l| l.split_whitespace().next() == Some("bpf"))
        {
            return Err(diagnostics::clang_unusable(
                path,
                &version,
                "it was built without the BPF target",
            ));
        }
        // A failed cache write only costs the next run a probe.
        let _ = cache::write_file_atomic(&record, version.as_bytes());
        Ok(Clang {
            path: path.to_owned(),
            version,
            major,
        })
    }
}

fn run(path: &Path, args: &[&str]) -> Result<String, Diagnostic> {
    let out = Command::new(path)
        .args(args)
        .output()
        .map_err(|e| diagnostics::clang_spawn(path, &e))?;
    if !out.status.success() {
        let why = format!(
            "`{} {}` failed: {}",
            path.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return Err(diagnostics::clang_unusable(path, "", &why));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `Debian clang version 19.1.7 (3~deb12u1)` → 19.
fn parse_major(version: &str) -> Option<u32> {
    let rest = &version[version.find("clang version ")? + "clang version ".len()..];
    rest.split('.').next()?.trim().parse().ok()
}

/// A name with a `/` is a path; otherwise the first executable of that name on `path_var`.
fn resolve(name: &std::ffi::OsStr, path_var: &OsString) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if Path::new(name).components().count() > 1 {
        return executable(Path::new(name)).then(|| PathBuf::from(name));
    }
    std::env::split_paths(path_var)
        .map(|dir| dir.join(name))
        .find(|p| executable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            parse_major("Debian clang version 19.1.7 (3~deb12u1)"),
            Some(19)
        );
        assert_eq!(parse_major("clang version 14.0.6"), Some(14));
        assert_eq!(parse_major("gcc (Debian 12.2.0-14) 12.2.0"), None);
    }

    #[test]
    fn finds_this_hosts_clang_and_caches_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let path = resolve("clang-19".as_ref(), &std::env::var_os("PATH").unwrap())
            .expect("clang-19 is installed");
        let first = Clang::probe(&path, dir.path()).unwrap();
        assert!(first.major >= 19, "{first:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the probe is cached"
        );
        assert_eq!(Clang::probe(&path, dir.path()).unwrap(), first);
    }

    #[test]
    fn a_non_clang_is_rejected_with_help() {
        let dir = tempfile::tempdir().unwrap();
        let err = Clang::probe(Path::new("/bin/true"), dir.path()).unwrap_err();
        assert_eq!(err.code, "bccc::E0611");
        assert!(
            err.help.contains("apt-get install clang-19"),
            "{}",
            err.help
        );
    }
}
