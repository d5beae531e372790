//! Every testdata program compiles to an object the kernel's verifier accepts. kprobe and fentry
//! programs are loaded without attaching (this kernel has no kprobes and refuses fentry attach).

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
            Err(e) => failures.push(format!("{name}: {e:#}")),
        }
    }
    assert!(
        failures.is_empty(),
        "verifier rejected:\n{}",
        failures.join("\n")
    );
}
