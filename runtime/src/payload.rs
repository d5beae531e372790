//! The payload a built tool carries: an ELF file's bytes → the contents of its
//! [`SECTION`] section → manifest + BPF object. Pure except [`read_file`], which reads only
//! the ELF header, section table and payload of a file.

use bccc_manifest::Manifest;
use bccc_manifest::payload::{self, PayloadError, SECTION};
use goblin::container::Ctx;
use goblin::elf::{Elf, SectionHeader};
use goblin::strtab::Strtab;

/// Why an executable's payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// The executable is not an ELF file goblin can read.
    #[error("the executable is not a readable ELF file: {0}")]
    NotElf(String),
    /// The executable has no payload section: it is the bare runtime.
    #[error("no {SECTION} section")]
    NoPayload,
    /// The section is there but does not decode.
    #[error(transparent)]
    Bad(#[from] PayloadError),
}

/// Where the payload section lies in an ELF file: (offset, size). `read_at(offset, len)`
/// returns that many bytes of the file, so only the ELF header, the section table and the
/// section names are read, never the whole (2 MB) executable.
pub fn locate(
    mut read_at: impl FnMut(u64, usize) -> std::io::Result<Vec<u8>>,
) -> Result<(u64, usize), FindError> {
    let bad = |e: goblin::error::Error| FindError::NotElf(e.to_string());
    let io = |e: std::io::Error| FindError::NotElf(e.to_string());
    let head = read_at(0, 64).map_err(io)?;
    let header = Elf::parse_header(&head).map_err(bad)?;
    let ctx = Ctx::new(
        header.container().map_err(bad)?,
        header.endianness().map_err(bad)?,
    );
    if header.e_shoff == 0 {
        return Err(FindError::NoPayload);
    }
    let table_len = usize::from(header.e_shnum) * usize::from(header.e_shentsize);
    let table = read_at(header.e_shoff, table_len).map_err(io)?;
    let sections =
        SectionHeader::parse_from(&table, 0, usize::from(header.e_shnum), ctx).map_err(bad)?;
    let names = sections
        .get(usize::from(header.e_shstrndx))
        .ok_or(FindError::NoPayload)?;
    let name_bytes = read_at(names.sh_offset, names.sh_size as usize).map_err(io)?;
    let strtab = Strtab::parse(&name_bytes, 0, name_bytes.len(), 0).map_err(bad)?;
    let sh = sections
        .iter()
        .find(|s| strtab.get_at(s.sh_name) == Some(SECTION))
        .ok_or(FindError::NoPayload)?;
    Ok((sh.sh_offset, sh.sh_size as usize))
}

/// The bytes of the payload section of the ELF file `exe` (held in memory).
pub fn section(exe: &[u8]) -> Result<&[u8], FindError> {
    let read_at = |offset: u64, len: usize| {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        exe.get(start..start.saturating_add(len))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
    };
    let (offset, len) = locate(read_at)?;
    Ok(&exe[offset as usize..offset as usize + len])
}

/// Manifest and object of the ELF file `exe`.
pub fn read(exe: &[u8]) -> Result<(Manifest, &[u8]), FindError> {
    Ok(payload::decode(section(exe)?)?)
}

/// The payload bytes of an ELF file on disk, reading only what [`locate`] needs plus the
/// section itself.
pub fn read_file(file: &std::fs::File) -> Result<Vec<u8>, FindError> {
    use std::os::unix::fs::FileExt;
    let read_at = |offset: u64, len: usize| {
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, offset).map(|()| buf)
    };
    let (offset, len) = locate(read_at)?;
    read_at(offset, len).map_err(|e| FindError::NotElf(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_runtime_has_no_payload_and_garbage_is_not_elf() {
        let me = std::fs::read("/proc/self/exe").unwrap();
        assert!(matches!(read(&me), Err(FindError::NoPayload)));
        let file = std::fs::File::open("/proc/self/exe").unwrap();
        assert!(matches!(read_file(&file), Err(FindError::NoPayload)));
        assert!(matches!(
            read(b"not an elf file at all, not at all"),
            Err(FindError::NotElf(_))
        ));
    }

    #[test]
    fn finds_an_embedded_payload_in_memory_and_on_disk() {
        use object::build::elf::{Builder, SectionData};
        let manifest = crate::cli::tests::manifest_with_params();
        let me = std::fs::read("/proc/self/exe").unwrap();
        let mut b = Builder::read(&*me).unwrap();
        let s = b.sections.add();
        s.name = SECTION.into();
        s.sh_type = object::elf::SHT_PROGBITS;
        s.sh_flags = object::elf::SectionFlags(0);
        s.sh_addralign = 8;
        s.data = SectionData::Data(payload::encode(&manifest, b"OBJECT").into());
        let mut exe = Vec::new();
        b.write(&mut exe).unwrap();
        let (m, obj) = read(&exe).unwrap();
        assert_eq!((m, obj), (manifest.clone(), b"OBJECT".as_slice()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tool");
        std::fs::write(&path, &exe).unwrap();
        let bytes = read_file(&std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(
            payload::decode(&bytes).unwrap(),
            (manifest, b"OBJECT".as_slice())
        );
    }
}
