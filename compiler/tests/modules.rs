//! Module BTF (`--btf-module`, spec E.2): types that live in kernel modules reach the parse and
//! the compile, the cache keys on the module files, and a type found in no BTF gets bccc's
//! diagnostic. The module is made here: split BTF on this host's `/sys/kernel/btf/vmlinux`
//! defining `struct bccc_test_mod`, written raw (as `/sys/kernel/btf/<module>` is) and inside
//! an ELF `.BTF` section (as a `.ko` carries it), so the test needs no kernel package.
//! (Real modules work the same way: `bccc build --btf <6.1 btf> --btf-module nfs.ko` with a
//! Debian 6.1 cloud kernel's nfs.ko builds a program reading `struct nfs_inode`.)

use std::path::{Path, PathBuf};

use bccc::driver::{self, BuildOptions, Emit};
use bccc::toolchain::{self, Arch, KERNEL_BTF};

/// Little-endian raw BTF: header, types, strings.
fn raw_btf(types: &[u8], strings: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xeb9f_u16.to_le_bytes());
    out.extend_from_slice(&[1, 0]);
    for v in [
        24u32,
        0,
        types.len() as u32,
        types.len() as u32,
        strings.len() as u32,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(types);
    out.extend_from_slice(strings);
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// (number of types including `void`, string section length) of raw BTF `base`.
fn base_counts(base: &[u8]) -> (u32, u32) {
    let hdr_len = u32_at(base, 4) as usize;
    let (type_off, type_len) = (u32_at(base, 8) as usize, u32_at(base, 12) as usize);
    let types = &base[hdr_len + type_off..hdr_len + type_off + type_len];
    let (mut at, mut n) = (0, 1);
    while at < types.len() {
        let info = u32_at(types, at + 4);
        let (kind, vlen) = ((info >> 24) & 0x1f, (info & 0xffff) as usize);
        at += 12
            + match kind {
                1 | 14 | 17 => 4,
                3 => 12,
                4 | 5 | 15 | 19 => 12 * vlen,
                6 | 13 => 8 * vlen,
                _ => 0,
            };
        n += 1;
    }
    (n, u32_at(base, hdr_len - 4))
}

/// The id of the type named `name` of BTF kind `kind` in this host's vmlinux BTF.
fn base_id(name: &str, kind: fn(&btf_rs::Type) -> bool) -> u32 {
    let btf = btf_rs::Btf::from_file(KERNEL_BTF).unwrap();
    let ids = btf.resolve_ids_by_name(name).unwrap();
    *ids.iter()
        .find(|id| kind(&btf.resolve_type_by_id(**id).unwrap()))
        .unwrap_or_else(|| panic!("{name} in vmlinux"))
}

/// Split BTF on the host's vmlinux: `struct bccc_test_mod { int a; struct task_struct *owner; }`.
fn module_btf() -> Vec<u8> {
    let base = std::fs::read(KERNEL_BTF).unwrap();
    let (count, str_len) = base_counts(&base);
    let int = base_id("int", |t| matches!(t, btf_rs::Type::Int(_)));
    let task = base_id("task_struct", |t| matches!(t, btf_rs::Type::Struct(_)));
    let strings = b"\0bccc_test_mod\0a\0owner\0";
    let s = |name: &str| {
        let at = strings.windows(name.len() + 2).position(|w| {
            w[0] == 0 && &w[1..=name.len()] == name.as_bytes() && w[name.len() + 1] == 0
        });
        str_len + at.unwrap() as u32 + 1
    };
    let mut types = Vec::new();
    let mut put = |vals: &[u32]| vals.iter().for_each(|v| types.extend(v.to_le_bytes()));
    // [count] PTR -> task_struct
    put(&[0, 2 << 24, task]);
    // [count + 1] STRUCT bccc_test_mod, size 16, 2 members
    put(&[s("bccc_test_mod"), (4 << 24) | 2, 16]);
    put(&[s("a"), int, 0]);
    put(&[s("owner"), count, 64]);
    raw_btf(&types, strings)
}

/// The same BTF in an ELF's `.BTF` section, the way a `.ko` carries it.
fn module_ko(raw: &[u8]) -> Vec<u8> {
    use object::write::Object;
    let mut obj = Object::new(
        object::BinaryFormat::Elf,
        object::Architecture::X86_64,
        object::Endianness::Little,
    );
    let id = obj.add_section(Vec::new(), b".BTF".to_vec(), object::SectionKind::Metadata);
    obj.append_section_data(id, raw, 4);
    obj.write().unwrap()
}

const PROGRAM: &str = r"
BPF_HASH(seen, u32, u64);

int kprobe__bccc_test_fn(struct pt_regs *ctx, struct bccc_test_mod *m)
{
    u32 k = m->a;
    u64 v = 1;
    seen.update(&k, &v);
    return 0;
}
";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let raw = module_btf();
        std::fs::write(dir.path().join("bccc_test_mod"), &raw).unwrap();
        std::fs::write(dir.path().join("bccc_test_mod.ko"), module_ko(&raw)).unwrap();
        std::fs::write(dir.path().join("prog.c"), PROGRAM).unwrap();
        Files { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn build(&self, modules: &[&str], emit: Emit) -> Result<PathBuf, String> {
        let out = self.path("out");
        let opts = BuildOptions {
            input: self.path("prog.c"),
            output: Some(out.clone()),
            emit,
            btf_modules: modules.iter().map(|m| self.path(m)).collect(),
            ..BuildOptions::default()
        };
        match driver::build(&opts) {
            Ok(_) => Ok(out),
            Err(driver::BuildError::Diagnostics(d)) => Err(d.render_plain()),
        }
    }
}

#[test]
fn module_types_reach_the_parse_and_the_compile() {
    let files = Files::new();
    for module in ["bccc_test_mod", "bccc_test_mod.ko"] {
        let obj = files
            .build(&[module], Emit::Obj)
            .unwrap_or_else(|d| panic!("{module}: {d}"));
        let elf = std::fs::read(obj).unwrap();
        let btf = {
            use object::{Object as _, ObjectSection as _};
            let file = object::File::parse(&*elf).unwrap();
            file.section_by_name(".BTF")
                .unwrap()
                .data()
                .unwrap()
                .to_vec()
        };
        let btf = btf_rs::Btf::from_bytes(&btf).unwrap();
        assert!(
            btf.resolve_ids_by_name("bccc_test_mod").is_ok(),
            "{module}: the CO-RE read of m->a puts the module's type in the object's BTF"
        );
    }
    let c = files.build(&["bccc_test_mod"], Emit::C).unwrap();
    let c = std::fs::read_to_string(c).unwrap();
    assert!(c.contains("BPF_CORE_READ(m, a)"), "{c}");
}

#[test]
fn a_type_in_no_btf_names_what_was_searched() {
    let files = Files::new();
    let err = files.build(&[], Emit::Obj).unwrap_err();
    assert!(err.contains("bccc::E0110"), "{err}");
    assert!(
        err.contains("`struct bccc_test_mod` is not a type"),
        "{err}"
    );
    assert!(
        err.contains(KERNEL_BTF) && err.contains("--btf-module"),
        "{err}"
    );
    assert_eq!(err.matches("bccc::E0110").count(), 1, "one per type: {err}");
}

#[test]
fn a_module_of_another_kernel_is_refused_with_its_name() {
    let files = Files::new();
    std::fs::write(files.path("junk"), b"not BTF").unwrap();
    let err = files.build(&["junk"], Emit::Obj).unwrap_err();
    assert!(err.contains("bccc::E0618") && err.contains("junk"), "{err}");
    let err = files.build(&["missing"], Emit::Obj).unwrap_err();
    assert!(
        err.contains("bccc::E0618") && err.contains("missing"),
        "{err}"
    );
}

#[test]
fn the_cache_keys_on_the_module_files() {
    let files = Files::new();
    let root = files.path("cache");
    let plain = toolchain::prepare_in(&root, None, Arch::X86).unwrap();
    let module = files.path("bccc_test_mod");
    let with = toolchain::prepare_modules_in(&root, None, std::slice::from_ref(&module), Arch::X86)
        .unwrap();
    assert_ne!(plain.include_dir, with.include_dir);
    let header = |env: &toolchain::KernelEnv| {
        std::fs::read_to_string(env.include_dir.join("vmlinux.h")).unwrap()
    };
    assert!(!header(&plain).contains("struct bccc_test_mod {"));
    assert!(header(&with).contains("struct bccc_test_mod {"));
    // Another module file (here: the .ko) is another environment, even with the same types.
    let ko = files.path("bccc_test_mod.ko");
    let other = toolchain::prepare_modules_in(&root, None, &[ko], Arch::X86).unwrap();
    assert_ne!(other.include_dir, with.include_dir);
}

#[test]
fn module_search_finds_the_module_that_defines_a_type() {
    let files = Files::new();
    std::fs::write(files.path("vmlinux"), b"skipped by name").unwrap();
    let listed = toolchain::modules_in(files.dir.path());
    assert!(!listed.iter().any(|p| p.ends_with("vmlinux")), "{listed:?}");
    let names = ["bccc_test_mod".to_owned(), "no_such_type".to_owned()];
    let found = toolchain::modules_defining(Path::new(KERNEL_BTF), &listed, &names);
    let found: Vec<(String, Vec<String>)> = found
        .into_iter()
        .map(|(p, t)| (p.file_name().unwrap().to_string_lossy().into_owned(), t))
        .collect();
    assert_eq!(
        found,
        [
            ("bccc_test_mod".to_owned(), vec!["bccc_test_mod".to_owned()]),
            (
                "bccc_test_mod.ko".to_owned(),
                vec!["bccc_test_mod".to_owned()]
            ),
        ],
        "prog.c and the other files are not BTF and are skipped"
    );
}
