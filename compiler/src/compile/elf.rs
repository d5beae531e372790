//! The compiled object's ELF: DWARF stripped (it is 20× the size of everything else for CO-RE
//! programs, and the runtime never reads it), `.BTF`/`.BTF.ext` checked, and the facts the
//! package stage needs (the `.BTF` bytes, defined symbols) read out once.

use object::build::elf::{Builder, SectionData};
use object::read::elf::ElfFile64;
use object::{Endianness, Object as _, ObjectSection as _, ObjectSymbol as _};

/// Why the object clang produced cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// The ELF builder could not read or write the object.
    #[error("cannot rewrite the object: {0}")]
    Build(#[from] object::build::Error),
    /// The object does not parse as an ELF.
    #[error("the object is not a valid ELF: {0}")]
    Read(#[from] object::read::Error),
    /// The object is not a BPF object.
    #[error("the object is for machine {0}, not BPF")]
    NotBpf(u16),
    /// A section libbpf needs is missing.
    #[error("the object has no `{0}` section (clang must run with -g for BTF)")]
    Missing(&'static str),
}

/// A symbol the object defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjSymbol {
    /// Symbol name (a function, map or global variable).
    pub name: String,
    /// Name of the section it is defined in.
    pub section: String,
    /// Offset inside that section.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
}

/// What the package stage reads from the object, so it never parses ELF itself.
#[derive(Debug, Clone, Default)]
pub struct ElfFacts {
    /// The raw `.BTF` section.
    pub btf: Vec<u8>,
    /// Every named symbol defined in a section, in symbol-table order.
    pub symbols: Vec<ObjSymbol>,
    /// Whether some program calls `bpf_trace_printk` or `bpf_trace_vprintk` (however the source
    /// spelled it: directly, through a macro of the user's), so the tool echoes `trace_pipe`.
    pub trace_printk: bool,
}

/// Helper ids of `bpf_trace_printk` and `bpf_trace_vprintk` (uapi `enum bpf_func_id`).
const PRINTK_HELPERS: [i32; 2] = [6, 177];

/// Whether BPF code calls one of `helpers`: a `call` instruction (opcode 0x85) to a helper
/// (source register 0; 1 and 2 are calls of BPF functions and kfuncs) with that id.
fn calls_helper(code: &[u8], helpers: &[i32]) -> bool {
    code.chunks_exact(8).any(|insn| {
        insn[0] == 0x85
            && insn[1] >> 4 == 0
            && helpers.contains(&i32::from_le_bytes([insn[4], insn[5], insn[6], insn[7]]))
    })
}

/// Removes `.debug_*` sections and their relocation sections; everything else is kept as is.
pub fn strip_dwarf(elf: &[u8]) -> Result<Vec<u8>, ElfError> {
    let mut b = Builder::read(elf)?;
    // LLVM's BPF objects share one `.strtab` between symbol and section names; the builder
    // writes section names into a `.shstrtab` of their own, so give it one.
    if !b
        .sections
        .iter()
        .any(|s| matches!(s.data, SectionData::SectionString))
    {
        let s = b.sections.add();
        s.name = ".shstrtab".into();
        s.sh_type = object::elf::SHT_STRTAB;
        s.sh_addralign = 1;
        s.data = SectionData::SectionString;
    }
    for s in &mut b.sections {
        if s.name.starts_with(b".debug_") {
            s.delete = true;
        }
    }
    // Relocation sections point at the section they patch through sh_info.
    let rels: Vec<_> = b
        .sections
        .iter()
        .filter(|s| matches!(s.data, SectionData::Relocation(_)))
        .filter(|s| s.sh_info_section.is_some_and(|t| b.sections.get(t).delete))
        .map(object::build::elf::Section::id)
        .collect();
    for id in rels {
        b.sections.get_mut(id).delete = true;
    }
    b.delete_orphans();
    let mut out = Vec::with_capacity(elf.len() / 4);
    b.write(&mut out)?;
    Ok(out)
}

/// Checks that `elf` is a BPF object with `.BTF` and `.BTF.ext`, and reads its facts.
pub(crate) fn facts(elf: &[u8]) -> Result<ElfFacts, ElfError> {
    let file = ElfFile64::<Endianness>::parse(elf)?;
    let machine = file.elf_header().e_machine.get(file.endian());
    if machine != object::elf::EM_BPF {
        return Err(ElfError::NotBpf(machine.0));
    }
    let btf = file
        .section_by_name(".BTF")
        .ok_or(ElfError::Missing(".BTF"))?
        .data()?
        .to_vec();
    file.section_by_name(".BTF.ext")
        .ok_or(ElfError::Missing(".BTF.ext"))?;
    let mut symbols = Vec::new();
    for sym in file.symbols() {
        let (Ok(name), Some(index)) = (sym.name(), sym.section_index()) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let section = file.section_by_index(index)?.name()?.to_owned();
        symbols.push(ObjSymbol {
            name: name.to_owned(),
            section,
            offset: sym.address(),
            size: sym.size(),
        });
    }
    let trace_printk = file.sections().any(|s| {
        s.kind() == object::SectionKind::Text
            && s.data()
                .is_ok_and(|code| calls_helper(code, &PRINTK_HELPERS))
    });
    Ok(ElfFacts {
        btf,
        symbols,
        trace_printk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_helper_calls() {
        // r1 = 0; call 6; exit
        let code = [
            0xb7, 0x01, 0, 0, 0, 0, 0, 0, 0x85, 0x00, 0, 0, 6, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert!(calls_helper(&code, &PRINTK_HELPERS));
        // A BPF-to-BPF call (src_reg 1) with imm 6 is not the helper.
        let local = [0x85, 0x10, 0, 0, 6, 0, 0, 0];
        assert!(!calls_helper(&local, &PRINTK_HELPERS));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(strip_dwarf(b"not an elf").is_err());
        assert!(facts(b"\x7fELF").is_err());
    }
}
