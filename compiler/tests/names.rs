//! Names shared with vmlinux.h (spec E.2) through the front half: which re-declared structs
//! become CO-RE flavours (`preserve_access_index`) and which keep the user's layout, that
//! ordinary renames leave kernel member names alone, and that messages and the manifest spell
//! the user's names. Each program is also compiled and loaded (the verifier judges). The live
//! behaviour is in `testdata/dialect/names_*.c`.

use bccc::driver::{self, BuildOptions, Emit, Frontend};

fn frontend(src: &str) -> Result<(Frontend, tempfile::TempDir), String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("names.c");
    std::fs::write(&input, src).unwrap();
    let opts = BuildOptions {
        input,
        ..BuildOptions::default()
    };
    match driver::frontend(&opts) {
        Ok(fe) => Ok((fe, dir)),
        Err(driver::BuildError::Diagnostics(d)) => Err(d.render_plain()),
    }
}

/// The rewritten C, after checking that it compiles and loads.
fn rewritten(src: &str) -> String {
    let (fe, _dir) = frontend(src).unwrap_or_else(|d| panic!("{d}"));
    let object = bccc::compile::compile(&fe.source, &fe.rewritten, &fe.env, &[])
        .unwrap_or_else(|d| panic!("{}\n{}", d.render_plain(), fe.rewritten.text));
    let mut open = libbpf_rs::ObjectBuilder::default()
        .open_memory(&object.elf)
        .unwrap();
    for mut p in open.progs_mut() {
        p.set_autoload(true);
    }
    open.load()
        .unwrap_or_else(|e| panic!("load failed: {e}\n{}", fe.rewritten.text));
    fe.rewritten.text
}

const PAI: &str = "__attribute__((preserve_access_index))";

#[test]
fn a_copy_read_through_kernel_pointers_is_a_flavour() {
    let c = rewritten(
        "struct nameidata { struct path path; struct qstr last; };\n\
         BPF_HASH(h, u32, u64);\n\
         int trace(struct pt_regs *ctx, struct nameidata *nd) {\n\
             u32 k = 0; u64 v = (u64)nd->last.name; h.update(&k, &v); return 0; }\n\
         // bccc:attach kprobe:do_filp_open=trace\n",
    );
    assert!(
        c.contains(&format!("struct {PAI} nameidata___bccc {{")),
        "{c}"
    );
    assert!(c.contains("struct nameidata___bccc *nd"), "{c}");
}

#[test]
fn a_value_held_in_a_map_keeps_the_users_layout() {
    // `serial` and `perm` are members of the kernel's `struct key`, but the struct is a map
    // value: a relocation would write the kernel's offsets into the map's slot.
    let c = rewritten(
        "struct key { u32 serial; u32 perm; };\n\
         BPF_HASH(keys, u32, struct key);\n\
         TRACEPOINT_PROBE(sched, sched_process_exec) {\n\
             u32 k = 0; struct key v = {}; v.serial = 1; v.perm = 2;\n\
             keys.update(&k, &v); return 0; }\n",
    );
    assert!(c.contains("struct key__bccc {"), "{c}");
    // (The tracepoint's record struct relocates; the user's struct does not.)
    assert!(!c.contains(&format!("{PAI} key")), "{c}");
    assert!(c.contains("__type(value, struct key__bccc)"), "{c}");
}

#[test]
fn a_member_the_kernel_lacks_keeps_the_users_layout() {
    // Not loaded: `BPF_CORE_READ` relocates any type it reads through, and a user's own type
    // (deliberately no flavour: two underscores) has no kernel candidate (spec B's rewrite).
    let (fe, _dir) = frontend(
        "struct mount { u64 not_a_kernel_member; };\n\
         BPF_HASH(h, u32, u64);\n\
         int trace(struct pt_regs *ctx, struct mount *m) {\n\
             u32 k = 0; u64 v = m->not_a_kernel_member; h.update(&k, &v); return 0; }\n\
         // bccc:attach kprobe:do_filp_open=trace\n",
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let c = fe.rewritten.text;
    assert!(c.contains("struct mount__bccc {"), "{c}");
    assert!(!c.contains(PAI), "{c}");
}

#[test]
fn ordinary_renames_leave_kernel_members_alone() {
    // `config` is a typedef of this kernel and a member of `struct perf_event_attr`.
    let c = rewritten(
        "BPF_HASH(config, u32, u64);\n\
         int trace(struct pt_regs *ctx, struct perf_event_attr *attr) {\n\
             u32 k = 0; u64 v = attr->config; config.update(&k, &v); return 0; }\n\
         // bccc:attach kprobe:perf_event_open=trace\n",
    );
    assert!(c.contains("} config__bccc SEC(\".maps\")"), "{c}");
    assert!(c.contains("BPF_CORE_READ(attr, config)"), "{c}");
    assert!(c.contains("bpf_map_update_elem(&config__bccc"), "{c}");
}

#[test]
fn messages_and_the_manifest_spell_the_users_names() {
    let err = frontend(
        "struct mnt_namespace { struct ns_common ns; };\n\
         BPF_HASH(config, u32, struct mnt_namespace *);\n\
         TRACEPOINT_PROBE(sched, sched_process_exec) {\n\
             struct mnt_namespace *m = 0; int x = m; return config.nope(); }\n",
    )
    .unwrap_err();
    assert!(
        err.contains("unknown map method `nope` on map `config`"),
        "{err}"
    );
    assert!(!err.contains("_Q"), "no alias leaks into messages: {err}");

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("m.c");
    std::fs::write(
        &input,
        "BPF_HASH(config, u32, u64);\n\
         TRACEPOINT_PROBE(sched, sched_process_exec) { config.increment(1); return 0; }\n",
    )
    .unwrap();
    let out = dir.path().join("m.json");
    let opts = BuildOptions {
        input,
        output: Some(out.clone()),
        emit: Emit::Manifest,
        ..BuildOptions::default()
    };
    driver::build(&opts)
        .unwrap_or_else(|driver::BuildError::Diagnostics(d)| panic!("{}", d.render_plain()));
    let manifest: bccc_manifest::Manifest =
        serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    let map = manifest.map("config").expect("the map keeps its name");
    assert_eq!(map.object_name(), "config__bccc");
}

#[test]
fn a_probe_named_like_a_kernel_typedef_attaches_by_its_name() {
    // `acct_t` is a typedef of this kernel: the function is `acct_t__bccc` in C and in the
    // object, and `--attach`/directives still name it `acct_t`.
    let src = "BPF_HASH(h, u32, u64);\n\
         // bccc:attach kprobe:do_nanosleep=acct_t\n\
         int acct_t(struct pt_regs *ctx) { u32 k = 0; u64 v = 1; h.update(&k, &v); return 0; }\n";
    let c = rewritten(src);
    let (fe, _dir) = frontend(src).unwrap();
    let probe = &fe.program.probes[0];
    assert_eq!(probe.function, "acct_t__bccc");
    assert_eq!(probe.attach.len(), 1, "{:?}", probe.attach);
    assert!(c.contains("SEC(\"kprobe\") int acct_t__bccc("), "{c}");
}
