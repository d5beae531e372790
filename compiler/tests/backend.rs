//! The back half against the real toolchain and kernel: `toolchain::prepare` (cold, warm, PCH),
//! compile (clang, DWARF strip, error mapping), package (layouts from BTF, parameters, the
//! binary with its payload section), and libbpf loading the result into this kernel.
//!
//! Needs clang-19, /sys/kernel/btf/vmlinux and root (loading), as CI has.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use bccc::analyze::{
    DisplayHint, MapDecl, ParamDecl, Probe, ProbeKind, Program, Section, SectionKind,
};
use bccc::compile::{self, Object};
use bccc::package;
use bccc::rewrite::{Rewritten, SourceMap};
use bccc::source::{SourceFile, Span};
use bccc::toolchain::{self, Arch, KernelEnv};
use bccc_manifest::{
    AttachSpec, Display, EnumVariant, MapKind, ParamType, ParamValue, Type, payload,
};
use object::{Object as _, ObjectSection as _};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/backend")
        .join(name)
}

/// One environment for the whole test binary, cached across runs under the target dir.
fn env() -> &'static KernelEnv {
    static ENV: OnceLock<KernelEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("backend-cache");
        toolchain::prepare_in(&root, None, Arch::X86)
            .unwrap_or_else(|d| panic!("prepare: {}", d.message))
    })
}

fn compile_fixture(name: &str, env: &KernelEnv) -> (SourceFile, Object) {
    let source = SourceFile::read(&fixture(name)).unwrap();
    let rewritten = Rewritten {
        text: source.text().to_owned(),
        source_map: SourceMap::default(),
    };
    let object = compile::compile(&source, &rewritten, env, &[])
        .unwrap_or_else(|d| panic!("compile {name}:\n{}", d.render_plain()));
    (source, object)
}

#[test]
fn prepare_cold_then_warm_reuses_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let cold = toolchain::prepare_in(dir.path(), None, Arch::X86)
        .unwrap_or_else(|d| panic!("{}", d.message));
    let cold_time = t.elapsed();
    let inc = &cold.include_dir;
    for f in [
        "vmlinux.h",
        "bpf/bpf_helpers.h",
        "bpf/bpf_helper_defs.h",
        "bpf/bpf_tracing.h",
        "bpf/bpf_core_read.h",
        "bpf/bpf_endian.h",
        "bccc/base.h",
    ] {
        assert!(inc.join(f).is_file(), "{f} missing");
    }
    let vmlinux = std::fs::read_to_string(inc.join("vmlinux.h")).unwrap();
    assert!(vmlinux.contains("preserve_access_index") && vmlinux.contains("struct task_struct {"));
    let (parse_pch, compile_pch) = (
        cold.parse_pch.clone().unwrap(),
        cold.compile_pch.clone().unwrap(),
    );
    for pch in [&parse_pch, &compile_pch] {
        assert!(pch.is_file());
        // Never `<header>.pch` next to the header: clang would pick that up implicitly.
        assert!(!pch.starts_with(inc), "{}", pch.display());
    }
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let before = (mtime(&inc.join("vmlinux.h")), mtime(&compile_pch));
    let t = Instant::now();
    let warm = toolchain::prepare_in(dir.path(), None, Arch::X86).unwrap();
    let warm_time = t.elapsed();
    eprintln!("prepare: cold {cold_time:?}, warm {warm_time:?}");
    assert_eq!(
        (warm.include_dir.clone(), warm.compile_pch.clone()),
        (cold.include_dir.clone(), Some(compile_pch.clone()))
    );
    assert_eq!(
        before,
        (mtime(&inc.join("vmlinux.h")), mtime(&compile_pch)),
        "warm prepare rewrote files"
    );
    assert!(
        warm_time < cold_time / 10,
        "warm {warm_time:?} vs cold {cold_time:?}"
    );
    // No temporaries left behind.
    let stray: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn concurrent_cold_prepares_agree() {
    let dir = tempfile::tempdir().unwrap();
    let envs: Vec<KernelEnv> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    toolchain::prepare_in(dir.path(), None, Arch::X86).map_err(|d| d.message)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap()
                    .unwrap_or_else(|message| panic!("{message}"))
            })
            .collect()
    });
    assert_eq!(envs[0].include_dir, envs[1].include_dir);
    assert_eq!(envs[0].compile_pch, envs[1].compile_pch);
    // Whoever lost the race threw its copy away; the winner's is complete.
    let entries = walk(dir.path());
    assert!(
        entries
            .iter()
            .all(|p| !p.to_string_lossy().contains(".tmp-")),
        "{entries:?}"
    );
    let (_, object) = compile_fixture("events.bpf.c", &envs[1]);
    assert!(!object.elf.is_empty());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        }
        out.push(e.path());
    }
    out
}

#[test]
fn missing_btf_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let err = toolchain::prepare_in(dir.path(), Some(Path::new("/nonexistent.btf")), Arch::X86)
        .unwrap_err();
    assert_eq!(err.code, "bccc::E0612");
    assert!(err.help.contains("BTF"), "{}", err.help);
}

fn exec_sections(elf: &[u8]) -> Vec<(String, Vec<u8>)> {
    let file = object::File::parse(elf).unwrap();
    file.sections()
        .filter(|s| s.kind() == object::SectionKind::Text)
        .map(|s| (s.name().unwrap().to_owned(), s.data().unwrap().to_vec()))
        .collect()
}

#[test]
fn pch_and_plain_compiles_give_the_same_program() {
    let env = env();
    let t = Instant::now();
    let (_, with) = compile_fixture("events.bpf.c", env);
    let with_time = t.elapsed();
    let t = Instant::now();
    let (_, without) = compile_fixture("events.bpf.c", &env.without_pch());
    let without_time = t.elapsed();
    eprintln!("compile: with PCH {with_time:?}, without {without_time:?}");
    let (_, again) = compile_fixture("events.bpf.c", env);
    assert!(
        again.elf == with.elf,
        "two builds of the same source differ"
    );
    let code = exec_sections(&with.elf);
    assert!(
        code.iter()
            .any(|(n, _)| n == "tracepoint/syscalls/sys_enter_openat"),
        "{code:?}"
    );
    assert_eq!(code, exec_sections(&without.elf));
    // clang numbers BTF types in a different order when declarations come from a PCH, so compare
    // what the BTF says rather than its bytes.
    let decode = |o: &Object| {
        let btf = package::layout::ObjectBtf::parse(&o.facts.btf).unwrap();
        (btf.maps().unwrap(), btf.anchored("events").unwrap())
    };
    assert_eq!(decode(&with), decode(&without));
}

#[test]
fn object_keeps_btf_and_loses_dwarf_and_loads() {
    let (_, object) = compile_fixture("events.bpf.c", env());
    let file = object::File::parse(&*object.elf).unwrap();
    let names: Vec<_> = file
        .sections()
        .map(|s| s.name().unwrap().to_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == ".BTF") && names.iter().any(|n| n == ".BTF.ext"),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains(".debug_")), "{names:?}");
    assert!(
        object.elf.len() < 64 * 1024,
        "DWARF left in: {} bytes",
        object.elf.len()
    );
    let obj = libbpf_rs::ObjectBuilder::default()
        .open_memory(&object.elf)
        .unwrap()
        .load()
        .unwrap();
    assert!(obj.progs().any(|p| p.name() == "on_openat"));
}

fn probe(source: &SourceFile) -> Probe {
    let at = source.text().find("on_openat(").unwrap() as u32;
    let (spec, _) = AttachSpec::parse_with_fn("tracepoint:syscalls:sys_enter_openat").unwrap();
    Probe {
        function: "on_openat".into(),
        kind: ProbeKind::Tracepoint {
            category: "syscalls".into(),
            event: "sys_enter_openat".into(),
        },
        section: Section::new(SectionKind::Tracepoint, "syscalls/sys_enter_openat"),
        attach: vec![spec],
        span: Span::new(at, at + 9),
        name_span: Span::new(at, at + 9),
        header_span: Span::new(at, at + 9),
        body_start: at + 9,
        params: Vec::new(),
        from_macro: false,
        syscall_args: false,
    }
}

fn map(source: &SourceFile, name: &str, kind: MapKind, display: DisplayHint) -> MapDecl {
    let at = source.text().find(&format!("}} {name} SEC")).unwrap() as u32 + 2;
    MapDecl {
        name: name.into(),
        kind,
        key: None,
        value: None,
        max_entries: 0,
        flags: 0,
        display,
        span: Span::new(at, at + name.len() as u32),
        event_ctype: None,
    }
}

fn param(source: &SourceFile, name: &str, ty: ParamType, default: ParamValue) -> ParamDecl {
    let at = source.text().find(name).unwrap() as u32;
    ParamDecl {
        name: name.into(),
        ty,
        default,
        help: String::new(),
        span: Span::new(at, at + name.len() as u32),
        builtin: None,
    }
}

fn program(source: &SourceFile) -> Program {
    Program {
        maps: vec![
            map(
                source,
                "events",
                MapKind::PerfOutput,
                DisplayHint::Events {
                    event_type: "event".into(),
                },
            ),
            map(source, "counts", MapKind::Hash, DisplayHint::Counts),
        ],
        probes: vec![probe(source)],
        params: vec![
            param(
                source,
                "targ_pid",
                ParamType::Int {
                    size: 4,
                    signed: false,
                },
                ParamValue::Uint(0x1122_3344),
            ),
            param(
                source,
                "min_ns",
                ParamType::Int {
                    size: 8,
                    signed: false,
                },
                ParamValue::Uint(0x5566_7788_99aa_bbcc),
            ),
            param(source, "verbose", ParamType::Bool, ParamValue::Bool(true)),
        ],
        about: "test tool".into(),
        ..Program::default()
    }
}

fn int(size: u32, signed: bool) -> Type {
    Type::Int {
        size,
        signed,
        char: false,
    }
}

#[test]
fn manifest_layouts_and_params_come_from_the_object() {
    let (source, object) = compile_fixture("events.bpf.c", env());
    let m = package::manifest(&source, &program(&source), &object, "events")
        .unwrap_or_else(|d| panic!("{}", d.render_plain()));
    assert_eq!(m.programs[0].name, "on_openat");
    assert_eq!(
        m.programs[0].loc.line,
        source
            .line_col(source.text().find("on_openat(").unwrap() as u32)
            .0
    );
    let Display::Events {
        event:
            Type::Struct {
                name,
                size,
                union,
                fields,
            },
    } = &m.map("events").unwrap().display
    else {
        panic!("{:?}", m.map("events"));
    };
    assert_eq!((name.as_deref(), *size, *union), (Some("event"), 48, false));
    let by_name = |n: &str| {
        fields
            .iter()
            .find(|f| f.name == n)
            .unwrap_or_else(|| panic!("no field {n}"))
    };
    let comm = by_name("comm");
    assert!(comm.ty.is_char_array() && comm.ty.size() == 16 && comm.bit_offset == 0);
    assert_eq!(
        (by_name("pid").bit_offset, &by_name("pid").ty),
        (128, &int(4, false))
    );
    assert_eq!(
        (by_name("ts").bit_offset, &by_name("ts").ty),
        (192, &int(8, false))
    );
    let Type::Enum {
        name,
        size: 4,
        signed: true,
        variants,
    } = &by_name("st").ty
    else {
        panic!("{:?}", by_name("st"))
    };
    assert_eq!(name.as_deref(), Some("ev_state"));
    assert!(
        variants.contains(&EnumVariant {
            name: "EV_NEG".into(),
            value: -1
        }),
        "{variants:?}"
    );
    let Type::Struct {
        name,
        fields: inner,
        ..
    } = &by_name("in").ty
    else {
        panic!()
    };
    assert_eq!(
        (name.as_deref(), inner[1].name.as_str(), inner[1].bit_offset),
        (Some("inner"), "proto", 16)
    );
    assert_eq!(
        (by_name("flag").bit_size, by_name("rest").bit_size),
        (Some(1), Some(31))
    );
    let counts = m.map("counts").unwrap();
    assert_eq!(
        (&counts.key, &counts.value, counts.max_entries),
        (&Some(int(4, false)), &Some(int(8, false)), 1024)
    );
    assert_eq!(counts.display, Display::Counts);
    // Parameter offsets point at their initial values inside .rodata.
    let file = object::File::parse(&*object.elf).unwrap();
    let rodata = file.section_by_name(".rodata").unwrap().data().unwrap();
    let at = |name: &str| m.params.iter().find(|p| p.name == name).unwrap().offset as usize;
    assert_eq!(
        &rodata[at("targ_pid")..at("targ_pid") + 4],
        0x1122_3344u32.to_le_bytes()
    );
    assert_eq!(
        &rodata[at("min_ns")..at("min_ns") + 8],
        0x5566_7788_99aa_bbccu64.to_le_bytes()
    );
    assert_eq!(rodata[at("verbose")], 1);
    assert_eq!(m.params[0].flag, "targ-pid");
}

#[test]
fn event_types_resolve_by_name_and_through_typedefs() {
    let (_, object) = compile_fixture("events.bpf.c", env());
    let btf = package::layout::ObjectBtf::parse(&object.facts.btf).unwrap();
    let Some(Type::Struct { name, size: 4, .. }) = btf.by_name("struct inner").unwrap() else {
        panic!()
    };
    assert_eq!(name.as_deref(), Some("inner"));
    let Some(Type::Struct { name, .. }) = btf.anchored("anon").unwrap() else {
        panic!()
    };
    assert_eq!(name.as_deref(), Some("anon_t"));
    assert_eq!(btf.by_name("no_such_type").unwrap(), None);
}

#[test]
fn missing_event_type_points_at_the_map() {
    let (source, object) = compile_fixture("events.bpf.c", env());
    let mut p = program(&source);
    // `counts` has no anchor, so the event type is looked up by name, and there is none.
    p.maps[1] = map(
        &source,
        "counts",
        MapKind::PerfOutput,
        DisplayHint::Events {
            event_type: "ghost_t".into(),
        },
    );
    let diags = package::manifest(&source, &p, &object, "x").unwrap_err();
    assert_eq!(diags.0.len(), 1, "{}", diags.render_plain());
    assert_eq!(diags.0[0].code, "bccc::E0502");
    assert_eq!(source.slice(diags.0[0].labels[0].0), "counts");
}

#[test]
fn clang_errors_point_at_the_users_line() {
    let text = "// user file\nint f(void)\n{\n\treturn  undefined_thing;\n}\n";
    let source = SourceFile::new("/somewhere/bad.c".into(), text.into());
    let rewritten = Rewritten {
        text: format!("/* generated */\n#line 1 \"bad.c\"\n{text}"),
        source_map: SourceMap::default(),
    };
    let diags = compile::compile(&source, &rewritten, env(), &[]).unwrap_err();
    let d = &diags.0[0];
    assert_eq!(d.code, "bccc::E0401", "{}", diags.render_plain());
    assert!(d.message.contains("undefined_thing"));
    assert_eq!(source.slice(d.labels[0].0), "undefined_thing");
    assert_eq!(source.line_col(d.labels[0].0.start), (4, 10));
}

#[test]
fn errors_in_generated_code_point_at_what_generated_them() {
    let text = "// user\nBCC_THING(counts);\n";
    let source = SourceFile::new("t.c".into(), text.into());
    let generated = "int y = undefined_gen;\n";
    let source_map = SourceMap {
        mappings: vec![bccc::rewrite::edit::Mapping {
            out_start: 0,
            out_end: generated.len() as u32,
            source: Span::new(8, 26),
        }],
    };
    let diags = compile::compile(
        &source,
        &Rewritten {
            text: generated.into(),
            source_map,
        },
        env(),
        &[],
    )
    .unwrap_err();
    let d = &diags.0[0];
    assert_eq!(d.code, "bccc::E0403", "{}", diags.render_plain());
    assert_eq!(source.slice(d.labels[0].0), "BCC_THING(counts);");
}

fn runtime() -> Vec<u8> {
    package::runtime_bytes(None).unwrap_or_else(|d| panic!("{}: {}", d.message, d.help))
}

#[test]
fn embedded_runtime_is_static_and_small() {
    let rt = runtime();
    let file = object::File::parse(&*rt).unwrap();
    assert_eq!(file.architecture(), object::Architecture::X86_64);
    assert!(
        !file.sections().any(|s| s.name() == Ok(".interp")),
        "the runtime has a dynamic loader"
    );
    assert!(rt.len() <= 2 << 20, "runtime is {} bytes", rt.len());
    eprintln!("runtime: {} bytes", rt.len());
}

#[test]
fn write_binary_embeds_a_decodable_payload() {
    use std::os::unix::fs::PermissionsExt;
    let (source, object) = compile_fixture("events.bpf.c", env());
    let m = package::manifest(&source, &program(&source), &object, "events").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events");
    package::write_binary(&runtime(), &m, &object, &out).unwrap();
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let bytes = std::fs::read(&out).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let section = file
        .section_by_name(payload::SECTION)
        .expect("payload section");
    let (decoded, elf) = payload::decode(section.data().unwrap()).unwrap();
    assert_eq!((decoded, elf), (m.clone(), object.elf.as_slice()));
    let ldd = std::process::Command::new("ldd")
        .arg(&out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&ldd.stdout) + String::from_utf8_lossy(&ldd.stderr);
    assert!(
        said.contains("statically linked") || said.contains("not a dynamic executable"),
        "{said}"
    );
    // A built tool can serve as the runtime: its payload is replaced, not duplicated.
    let again = package::embed(&bytes, payload::encode(&m, b"")).unwrap();
    let file = object::File::parse(&*again).unwrap();
    assert_eq!(
        file.sections()
            .filter(|s| s.name() == Ok(payload::SECTION))
            .count(),
        1
    );
}

#[test]
fn bad_runtime_leaves_no_output() {
    let (source, object) = compile_fixture("events.bpf.c", env());
    let m = package::manifest(&source, &program(&source), &object, "events").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tool");
    let err = package::write_binary(b"not an elf", &m, &object, &out).unwrap_err();
    assert_eq!(err.code, "bccc::E0512");
    std::fs::write(&out, b"old").unwrap();
    assert!(package::write_binary(b"still not", &m, &object, &out).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary files left behind"
    );
    let missing = package::runtime_bytes(Some(Path::new("/nonexistent/bccc-rt"))).unwrap_err();
    assert_eq!(missing.code, "bccc::E0510");
}
