//! Every testdata program compiles to an object the kernel's verifier accepts. kprobe programs
//! are loaded without attaching (this kernel has no kprobes). This kernel refuses to load BTF
//! tracing programs (fentry, fexit, LSM) at all, with EPERM before the verifier runs: for those,
//! EPERM is the expected answer here and the VM kernel matrix loads and attaches them. BTF-typed
//! raw tracepoints (`tp_btf`) need no trampoline and must load here like any other program.

mod common;

use libbpf_rs::ObjectBuilder;

#[test]
fn every_testdata_program_passes_the_verifier() {
    common::kernel_fs();
    let dir = common::scratch("verifier");
    let mut failures = Vec::new();
    for program in common::programs() {
        let name = program.file_stem().unwrap().to_string_lossy().into_owned();
        let obj = dir.join(format!("{name}.bpf.o"));
        let extra = common::extra_args(&program, std::path::Path::new("/bin/true"));
        let mut args = vec!["--emit", "obj", "-o", obj.to_str().unwrap()];
        args.extend(extra.iter().map(String::as_str));
        common::build(&program, &args);
        let bytes = std::fs::read(&obj).unwrap();
        let loaded = ObjectBuilder::default()
            .open_memory(&bytes)
            .and_then(libbpf_rs::OpenObject::load);
        match loaded {
            Ok(obj) => assert!(obj.progs().count() > 0, "{name}: no programs in the object"),
            Err(e)
                if refuses_btf_tracing(&bytes)
                    && e.kind() == libbpf_rs::ErrorKind::PermissionDenied => {}
            Err(e) => failures.push(format!("{name}: {e:#}")),
        }
    }
    assert!(
        failures.is_empty(),
        "verifier rejected:\n{}",
        failures.join("\n")
    );
}

/// Whether the object has BTF tracing programs and this kernel refuses those (checked with a
/// minimal fentry program of ours, not assumed).
fn refuses_btf_tracing(object: &[u8]) -> bool {
    let file = object::File::parse(object).expect("bccc writes valid ELF");
    let tracing = object::Object::sections(&file).any(|s| {
        object::ObjectSection::name(&s).is_ok_and(|n| {
            ["fentry/", "fexit/", "lsm/"]
                .iter()
                .any(|p| n.starts_with(p))
        })
    });
    tracing && kernel_refuses_fentry()
}

/// Whether this kernel refuses to load even a trivial fentry program (EPERM), as the 6.18 test
/// kernel does; on a kernel that loads it, fentry objects must pass the verifier like any other.
fn kernel_refuses_fentry() -> bool {
    static REFUSES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REFUSES.get_or_init(|| {
        let dir = common::scratch("verifier-fentry-probe");
        let src = dir.join("trivial_fentry.c");
        std::fs::write(&src, "KFUNC_PROBE(do_nanosleep)\n{\n    return 0;\n}\n").unwrap();
        let obj = dir.join("trivial_fentry.bpf.o");
        common::build(&src, &["--emit", "obj", "-o", obj.to_str().unwrap()]);
        let bytes = std::fs::read(&obj).unwrap();
        match ObjectBuilder::default()
            .open_memory(&bytes)
            .and_then(libbpf_rs::OpenObject::load)
        {
            Ok(_) => false,
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    libbpf_rs::ErrorKind::PermissionDenied,
                    "trivial fentry: {e:#}"
                );
                true
            }
        }
    })
}
