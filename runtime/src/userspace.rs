//! User-space targets for uprobes and USDT: a binary or library name as BCC accepts it (`c`,
//! `libc.so.6`, a path, a program on `PATH`) → a file; a symbol or address → the file offset
//! the kernel's uprobe wants; whether a binary has a USDT probe.
//!
//! The ELF and `/etc/ld.so.cache` parsers are pure; [`resolve_binary`] reads the file system.

use std::path::{Path, PathBuf};

use goblin::container::Ctx;
use goblin::elf::section_header::{SHT_DYNSYM, SHT_SYMTAB};
use goblin::elf::sym::{self, Symtab};
use goblin::elf::{Elf, ProgramHeader, SectionHeader, program_header::PT_LOAD};
use goblin::strtab::Strtab;

/// Why a user-space target could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserTargetError {
    /// No file for this binary or library name.
    #[error(
        "cannot find binary or library `{name}` (looked in /etc/ld.so.cache, the standard library directories and PATH)"
    )]
    NoBinary {
        /// The name as written.
        name: String,
    },
    /// The file is not an ELF file this runtime can read.
    #[error("`{path}` is not a readable ELF file: {reason}")]
    NotElf {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// The symbol is not a function in the file's symbol tables.
    #[error("function `{symbol}` not found in `{path}`")]
    NoSymbol {
        /// The symbol.
        symbol: String,
        /// The file.
        path: String,
    },
}

/// One `/etc/ld.so.cache` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The soname (`libc.so.6`).
    pub soname: String,
    /// The file (`/lib/x86_64-linux-gnu/libc.so.6`).
    pub path: String,
    /// glibc's entry flags (ELF class and architecture).
    pub flags: i32,
}

const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn c_str_at(b: &[u8], at: usize) -> Option<String> {
    let rest = b.get(at..)?;
    let end = rest.iter().position(|c| *c == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// Parses glibc's `ld.so.cache` (the "new" format, alone or after the old one). Malformed
/// input yields the entries read so far.
#[must_use]
pub fn parse_ld_cache(bytes: &[u8]) -> Vec<CacheEntry> {
    let Some(start) = bytes.windows(NEW_MAGIC.len()).position(|w| w == NEW_MAGIC) else {
        return Vec::new();
    };
    let header = &bytes[start..];
    let Some(nlibs) = u32_at(header, 20) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..nlibs as usize {
        let at = 48 + i * 24;
        let (Some(flags), Some(key), Some(value)) = (
            u32_at(header, at),
            u32_at(header, at + 4),
            u32_at(header, at + 8),
        ) else {
            break;
        };
        // String offsets are relative to the new-format header.
        if let (Some(soname), Some(path)) = (
            c_str_at(header, key as usize),
            c_str_at(header, value as usize),
        ) {
            out.push(CacheEntry {
                soname,
                path,
                flags: flags as i32,
            });
        }
    }
    out
}

/// glibc's flags for a library of this process's architecture.
fn native_flags(flags: i32) -> bool {
    const ELF_LIBC6: i32 = 0x0003;
    let arch = if cfg!(target_arch = "x86_64") {
        0x0300
    } else if cfg!(target_arch = "aarch64") {
        0x0a00
    } else {
        flags & 0xff00
    };
    flags & 0xff == ELF_LIBC6 && flags & 0xff00 == arch
}

/// Picks the cache entry BCC's `find_library` would: an exact soname for `libX.so.N` names,
/// else the first `lib<name>.so*` for short names (`c` → `libc.so.6`).
#[must_use]
pub fn lookup_library<'a>(entries: &'a [CacheEntry], name: &str) -> Option<&'a CacheEntry> {
    let native = entries.iter().filter(|e| native_flags(e.flags));
    if name.starts_with("lib") && name.contains(".so") {
        native.into_iter().find(|e| e.soname == name)
    } else {
        let prefix = format!("lib{name}.so");
        native.into_iter().find(|e| e.soname.starts_with(&prefix))
    }
}

const LIB_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// Resolves a uprobe/USDT binary name to a file: a path (anything with `/`) as is; a library
/// through `/etc/ld.so.cache`, then the standard library directories; a program on `PATH`.
pub fn resolve_binary(name: &str) -> Result<PathBuf, UserTargetError> {
    let missing = || UserTargetError::NoBinary {
        name: name.to_owned(),
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if p.is_file() { Ok(p) } else { Err(missing()) };
    }
    if let Ok(cache) = std::fs::read("/etc/ld.so.cache")
        && let Some(e) = lookup_library(&parse_ld_cache(&cache), name)
        && Path::new(&e.path).is_file()
    {
        return Ok(PathBuf::from(&e.path));
    }
    let soname_prefix = if name.starts_with("lib") && name.contains(".so") {
        name.to_owned()
    } else {
        format!("lib{name}.so")
    };
    for dir in LIB_DIRS {
        let Ok(list) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = list
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(&soname_prefix))
            .map(|e| e.path())
            .collect();
        found.sort();
        if let Some(p) = found.into_iter().next() {
            return Ok(p);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(missing)
}

/// Parses only what uprobes and USDT need (program and section headers, section names, symbol
/// tables), not relocations or dynamic sections: much less code in every tool than
/// `Elf::parse`, and faster on big libraries.
fn parse_elf<'a>(bytes: &'a [u8], path: &Path) -> Result<Elf<'a>, UserTargetError> {
    let bad = |e: goblin::error::Error| UserTargetError::NotElf {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let header = Elf::parse_header(bytes).map_err(bad)?;
    let ctx = Ctx::new(
        header.container().map_err(bad)?,
        header.endianness().map_err(bad)?,
    );
    let mut elf = Elf::lazy_parse(header).map_err(bad)?;
    elf.program_headers =
        ProgramHeader::parse(bytes, header.e_phoff as usize, header.e_phnum as usize, ctx)
            .map_err(bad)?;
    elf.section_headers =
        SectionHeader::parse(bytes, header.e_shoff as usize, header.e_shnum as usize, ctx)
            .map_err(bad)?;
    let strtab_of = |index: u32| -> Result<Strtab<'a>, UserTargetError> {
        match elf.section_headers.get(index as usize) {
            Some(sh) => {
                Strtab::parse(bytes, sh.sh_offset as usize, sh.sh_size as usize, 0).map_err(bad)
            }
            None => Ok(Strtab::default()),
        }
    };
    let shdr_strtab = strtab_of(u32::from(header.e_shstrndx))?;
    let mut tables = Vec::new();
    for sh in &elf.section_headers {
        if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) && sh.sh_entsize > 0 {
            let count = (sh.sh_size / sh.sh_entsize) as usize;
            let syms = Symtab::parse(bytes, sh.sh_offset as usize, count, ctx).map_err(bad)?;
            tables.push((sh.sh_type, syms, strtab_of(sh.sh_link)?));
        }
    }
    for (kind, syms, strings) in tables {
        if kind == SHT_SYMTAB {
            (elf.syms, elf.strtab) = (syms, strings);
        } else {
            (elf.dynsyms, elf.dynstrtab) = (syms, strings);
        }
    }
    elf.shdr_strtab = shdr_strtab;
    Ok(elf)
}

/// The file offset of virtual address `addr` (through the `PT_LOAD` segment holding it), or
/// `addr` itself when no segment holds it (it is then taken to be a file offset already).
#[must_use]
pub fn vaddr_to_offset(elf: &Elf<'_>, addr: u64) -> u64 {
    elf.program_headers
        .iter()
        .find(|ph| ph.p_type == PT_LOAD && ph.p_vaddr <= addr && addr < ph.p_vaddr + ph.p_memsz)
        .map_or(addr, |ph| addr - ph.p_vaddr + ph.p_offset)
}

/// The file offset of function `symbol` (`.symtab`, then `.dynsym`; a `@VERSION` suffix is
/// ignored) in the ELF file `bytes` read from `path`.
pub fn symbol_offset(bytes: &[u8], path: &Path, symbol: &str) -> Result<u64, UserTargetError> {
    let elf = parse_elf(bytes, path)?;
    let want = symbol.split('@').next().unwrap_or(symbol);
    let is_fn = |s: &sym::Sym| {
        matches!(s.st_type(), sym::STT_FUNC | sym::STT_GNU_IFUNC)
            && s.st_value != 0
            && s.st_shndx != 0
    };
    let found = elf
        .syms
        .iter()
        .find(|s| is_fn(s) && elf.strtab.get_at(s.st_name) == Some(want))
        .or_else(|| {
            elf.dynsyms
                .iter()
                .find(|s| is_fn(s) && elf.dynstrtab.get_at(s.st_name) == Some(want))
        });
    match found {
        Some(s) => Ok(vaddr_to_offset(&elf, s.st_value)),
        None => Err(UserTargetError::NoSymbol {
            symbol: symbol.to_owned(),
            path: path.display().to_string(),
        }),
    }
}

/// The file offset for a uprobe on address `addr` of the ELF file `bytes`.
pub fn address_offset(bytes: &[u8], path: &Path, addr: u64) -> Result<u64, UserTargetError> {
    Ok(vaddr_to_offset(&parse_elf(bytes, path)?, addr))
}

/// Whether the ELF file has a `.note.stapsdt` note for `provider:probe`.
pub fn has_usdt(
    bytes: &[u8],
    path: &Path,
    provider: &str,
    probe: &str,
) -> Result<bool, UserTargetError> {
    let elf = parse_elf(bytes, path)?;
    let Some(notes) = elf.iter_note_sections(bytes, Some(".note.stapsdt")) else {
        return Ok(false);
    };
    let width = if elf.is_64 { 8 } else { 4 };
    Ok(notes
        .filter_map(Result::ok)
        .filter(|n| n.name == "stapsdt" && n.n_type == 3)
        .any(|n| {
            // desc: pc, base, semaphore addresses, then "provider\0name\0args\0".
            let mut strings = n.desc.get(3 * width..).unwrap_or(&[]).split(|b| *b == 0);
            strings.next() == Some(provider.as_bytes()) && strings.next() == Some(probe.as_bytes())
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(i32, &str, &str)]) -> Vec<u8> {
        let mut strings = Vec::new();
        let base = 48 + entries.len() * 24;
        let mut table = Vec::new();
        for (flags, soname, path) in entries {
            let key = base + strings.len();
            strings.extend_from_slice(soname.as_bytes());
            strings.push(0);
            let value = base + strings.len();
            strings.extend_from_slice(path.as_bytes());
            strings.push(0);
            table.extend_from_slice(&flags.to_le_bytes());
            table.extend_from_slice(&(key as u32).to_le_bytes());
            table.extend_from_slice(&(value as u32).to_le_bytes());
            table.extend_from_slice(&[0; 12]);
        }
        let mut out = NEW_MAGIC.to_vec();
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        out.resize(48, 0);
        out.extend(table);
        out.extend(strings);
        out
    }

    #[test]
    fn ld_cache_lookup_like_bcc() {
        let native = if cfg!(target_arch = "aarch64") {
            0x0a03
        } else {
            0x0303
        };
        let bytes = cache(&[
            (native, "libcrypt.so.1", "/lib/libcrypt.so.1"),
            (0x0003, "libc.so.6", "/lib32/libc.so.6"),
            (native, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
        ]);
        let entries = parse_ld_cache(&bytes);
        assert_eq!(entries.len(), 3);
        assert_eq!(
            lookup_library(&entries, "c").unwrap().path,
            "/lib/x86_64-linux-gnu/libc.so.6"
        );
        assert_eq!(
            lookup_library(&entries, "libc.so.6").unwrap().path,
            "/lib/x86_64-linux-gnu/libc.so.6"
        );
        assert_eq!(
            lookup_library(&entries, "crypt").unwrap().soname,
            "libcrypt.so.1"
        );
        assert!(lookup_library(&entries, "m").is_none());
        assert!(parse_ld_cache(b"garbage").is_empty());
    }

    #[test]
    fn real_cache_and_libc_symbols() {
        let libc = resolve_binary("c").expect("libc through ld.so.cache");
        assert!(
            libc.to_string_lossy().contains("libc.so"),
            "{}",
            libc.display()
        );
        let bytes = std::fs::read(&libc).unwrap();
        let off = symbol_offset(&bytes, &libc, "malloc").unwrap();
        assert!(off > 0);
        assert!(matches!(
            symbol_offset(&bytes, &libc, "no_such_fn_xyz"),
            Err(UserTargetError::NoSymbol { .. })
        ));
        assert!(matches!(
            resolve_binary("no_such_lib_xyz"),
            Err(UserTargetError::NoBinary { .. })
        ));
        assert!(resolve_binary("sh").is_ok(), "programs on PATH");
    }
}
