//! The front half (parse → analyze → rewrite) on small programs: each construct's rewritten C,
//! compiled with clang and loaded into this kernel (the verifier judges), and one diagnostic per
//! bad-input case. Needs root, libclang, clang-19 and tracefs (as `.ci/run` provides).

use std::path::PathBuf;

use bccc::analyze::{DisplayHint, Method, ProbeKind, Program};
use bccc::driver::{self, BuildOptions, Frontend};

struct Built {
    fe: Frontend,
    _dir: tempfile::TempDir,
}

fn frontend(name: &str, src: &str, attach: &[&str]) -> Result<Built, String> {
    let dir = tempfile::tempdir().unwrap();
    let input: PathBuf = dir.path().join(name);
    std::fs::write(&input, src).unwrap();
    let opts = BuildOptions {
        input,
        attach: attach.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    };
    match driver::frontend(&opts) {
        Ok(fe) => Ok(Built { fe, _dir: dir }),
        Err(driver::BuildError::Diagnostics(d)) => Err(d.render_plain()),
        #[allow(unreachable_patterns, reason = "the driver may grow error variants")]
        Err(e) => Err(e.to_string()),
    }
}

/// Compiles the rewritten C and loads every program into the kernel as a built tool does
/// (tracepoint records described from this kernel's format files).
fn load(b: &Built) {
    let object = bccc::compile::compile(&b.fe.source, &b.fe.rewritten, &b.fe.env, &[])
        .unwrap_or_else(|d| {
            panic!(
                "compile failed:\n{}\n{}",
                d.render_plain(),
                b.fe.rewritten.text
            )
        });
    let manifest = bccc::package::manifest(&b.fe.source, &b.fe.program, &object, "t")
        .unwrap_or_else(|d| panic!("manifest: {}", d.render_plain()));
    bccc_runtime::verify(&manifest, &object.elf)
        .unwrap_or_else(|e| panic!("load failed: {e}\n{}", b.fe.rewritten.text));
}

fn build(name: &str, src: &str, attach: &[&str]) -> Built {
    let b = frontend(name, src, attach).unwrap_or_else(|d| panic!("{d}"));
    load(&b);
    b
}

fn program(b: &Built) -> &Program {
    &b.fe.program
}

fn out(b: &Built) -> &str {
    &b.fe.rewritten.text
}

#[test]
fn maps_methods_and_counts() {
    let b = build(
        "m.c",
        "/* counter: counts things. */\n#include <linux/sched.h>\n#include <linux/kvm_host.h>\nstruct val_t { u64 n; };\nBPF_HASH(h, u32, u64, 128);\nBPF_ARRAY(a, u64, 4);\nBPF_HASH(s, u32, struct val_t);\nBPF_PERCPU_ARRAY(pa, u64, 1);\nconst volatile u32 targ = 7;\n\
TRACEPOINT_PROBE(sched, sched_switch)\n{\n    u32 k = args->next_pid;\n    u64 one = 1, *v;\n    struct val_t z = {};\n    if (targ && k != targ) return 0;\n    h.increment(k);\n    a.atomic_increment(0, 2);\n    v = h.lookup(&k);\n    if (v) h.update(&k, v);\n    h.delete(&k);\n    struct val_t *sv = s.lookup_or_try_init(&k, &z);\n    if (sv) sv->n++;\n    u64 n = sizeof(s.lookup(&k)->n);\n    pa.increment(0, n);\n    bpf_trace_printk(\"k=%d\\n\", k);\n    return 0;\n}\n",
        &[],
    );
    let p = program(&b);
    assert_eq!(p.about, "counter: counts things.");
    assert_eq!(
        p.maps.iter().map(|m| m.max_entries).collect::<Vec<_>>(),
        [128, 4, 10240, 1]
    );
    assert_eq!(p.maps[0].display, DisplayHint::Counts);
    assert_eq!(p.maps[2].display, DisplayHint::Counts);
    assert_eq!(p.params.len(), 1);
    let methods: Vec<Method> = p.calls.iter().map(|c| c.method).collect();
    assert_eq!(
        methods[..3],
        [Method::Increment, Method::AtomicIncrement, Method::Lookup]
    );
    let t = out(&b);
    // In bccc's kernel header set: kept. Outside it: stubbed, commented out.
    assert!(t.contains("\n#include <linux/sched.h>"), "{t}");
    assert!(t.contains("// #include <linux/kvm_host.h>"), "{t}");
    assert!(
        t.contains("bccc_map_increment(h, (k), (1), BCCC_INSERT_MISSING)"),
        "{t}"
    );
    assert!(
        t.contains("bccc_map_atomic_increment(a, (0), (2), BCCC_NO_INSERT)"),
        "{t}"
    );
    assert!(
        t.contains("((typeof(s.value))bpf_map_lookup_elem(&s, &k))->n"),
        "{t}"
    );
    assert!(t.contains("bpf_trace_printk(\"k=%d\\n\", k)"), "{t}");
    // Line numbers are kept: the probe's `return 0;` stays on line 26.
    let body = t.split_once("#line 1 \"m.c\"\n").unwrap().1;
    assert_eq!(body.lines().nth(25).map(str::trim), Some("return 0;"));
}

#[test]
fn events_histograms_and_implicit_derefs() {
    let b = build(
        "e.c",
        "struct data_t { u32 pid; u32 ppid; char comm[16]; };\nBPF_PERF_OUTPUT(events);\nBPF_RINGBUF_OUTPUT(rb, 4);\nBPF_HISTOGRAM(dist);\nBPF_HASH(lat, u32, u64);\n\
TRACEPOINT_PROBE(sched, sched_process_exit)\n{\n    struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n    struct data_t d = {};\n    d.pid = t->tgid;\n    d.ppid = t->real_parent->tgid;\n    bpf_probe_read_kernel(&d.comm, sizeof(d.comm), &t->real_parent->comm);\n    dist.increment(bpf_log2l(d.pid));\n    u32 slot = bpf_log2l(d.ppid);\n    lat.increment(slot);\n    events.perf_submit(args, &d, sizeof(d));\n    rb.ringbuf_output(&d, sizeof(d), 0);\n    return 0;\n}\n",
        &[],
    );
    let p = program(&b);
    assert_eq!(
        p.maps[0].display,
        DisplayHint::Events {
            event_type: "data_t".into()
        }
    );
    assert_eq!(p.maps[1].max_entries, 4 * 4096);
    assert!(matches!(p.maps[2].display, DisplayHint::Log2Hist { .. }));
    assert!(
        matches!(p.maps[3].display, DisplayHint::Log2Hist { .. }),
        "{:?}",
        p.maps[3].display
    );
    let t = out(&b);
    assert!(t.contains("d.pid = BPF_CORE_READ(t, tgid);"), "{t}");
    assert!(
        t.contains("d.ppid = BPF_CORE_READ(t, real_parent, tgid);"),
        "{t}"
    );
    assert!(t.contains("&BPF_CORE_READ(t, real_parent)->comm"), "{t}");
    assert!(
        t.contains("bpf_perf_event_output(args, &events, BPF_F_CURRENT_CPU, &d, sizeof(d))"),
        "{t}"
    );
    assert!(
        t.contains("BCCC_ANCHOR_TYPE(events, struct data_t);"),
        "{t}"
    );
    assert!(t.contains("BCCC_ANCHOR_TYPE(rb, struct data_t);"), "{t}");
}

#[test]
fn syscall_tracepoints_keep_bccs_struct() {
    let b = build(
        "s.c",
        "BPF_HASH(c, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_openat)\n{\n    char buf[32];\n    bpf_probe_read_user_str(buf, sizeof(buf), args->filename);\n    u32 f = args->flags;\n    u64 z = 0;\n    c.update(&f, &z);\n    return 0;\n}\nTRACEPOINT_PROBE(syscalls, sys_exit_openat)\n{\n    u32 r = args->ret;\n    c.delete(&r);\n    return 0;\n}\n",
        &[],
    );
    let t = out(&b);
    // Per-syscall records keep BCC's struct, relocated against the target's format at load.
    assert!(
        t.contains("(struct tracepoint__syscalls__sys_enter_openat *args)"),
        "{t}"
    );
    assert!(t.contains("\ts64 flags;\n"), "BCC's widening: {t}");
    assert!(
        t.contains("bpf_probe_read_user_str(buf, sizeof(buf), BCCC_TP_LOAD(args, filename))"),
        "{t}"
    );
    assert!(t.contains("u32 f = BCCC_TP_LOAD(args, flags);"), "{t}");
    assert!(t.contains("u32 r = BCCC_TP_LOAD(args, ret);"), "{t}");
}

#[test]
fn kprobes_raw_tracepoints_and_attached_functions() {
    let b = build(
        "k.c",
        "#include <uapi/linux/ptrace.h>\nBPF_HASH(h, u32, u64);\n\
int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename)\n{\n    u32 d = dfd;\n    u64 z = 0;\n    h.update(&d, &z);\n    return 0;\n}\n\
int kretprobe__do_sys_openat2(struct pt_regs *ctx)\n{\n    u32 r = PT_REGS_RC(ctx);\n    h.delete(&r);\n    return 0;\n}\n\
RAW_TRACEPOINT_PROBE(sched_switch)\n{\n    struct task_struct *next = (struct task_struct *)ctx->args[2];\n    u32 pid = next->pid;\n    h.delete(&pid);\n    return 0;\n}\n\
// bccc:attach uprobe:/bin/true:main\nint on_main(struct pt_regs *ctx)\n{\n    return 0;\n}\n\
int from_cli(struct pt_regs *ctx, int a)\n{\n    u32 k = a;\n    h.delete(&k);\n    return 0;\n}\n",
        &["kprobe:vfs_read=from_cli"],
    );
    let p = program(&b);
    let secs: Vec<String> = p.probes.iter().map(|p| p.section.to_string()).collect();
    assert_eq!(
        secs,
        [
            "kprobe/do_sys_openat2",
            "kretprobe/do_sys_openat2",
            "raw_tp/sched_switch",
            "uprobe",
            "kprobe"
        ]
    );
    assert_eq!(p.probes[3].kind, ProbeKind::Attached);
    let t = out(&b);
    assert!(t.contains("SEC(\"kprobe/do_sys_openat2\") int kprobe__do_sys_openat2(struct pt_regs *ctx)\n{ int dfd = (int)PT_REGS_PARM1(ctx); const char *filename = (const char *)PT_REGS_PARM2(ctx);"), "{t}");
    assert!(t.contains("u32 pid = BPF_CORE_READ(next, pid);"), "{t}");
    assert!(t.contains("SEC(\"raw_tp/sched_switch\") int raw_tracepoint__sched_switch(struct bpf_raw_tracepoint_args *ctx)"), "{t}");
    assert!(t.contains("SEC(\"uprobe\") int on_main"), "{t}");
}

#[test]
fn static_helpers_are_inlined() {
    let b = build(
        "h.c",
        "BPF_HASH(h, u32, u64);\nstatic int bump(u32 k)\n{\n    h.increment(k);\n    return 0;\n}\nTRACEPOINT_PROBE(sched, sched_wakeup)\n{\n    return bump(args->pid);\n}\n",
        &[],
    );
    assert!(
        out(&b).contains("static __always_inline int bump(u32 k)"),
        "{}",
        out(&b)
    );
    assert!(
        out(&b).contains("return bump(BCCC_TP_LOAD(args, pid));"),
        "{}",
        out(&b)
    );
}

fn error_of(src: &str, attach: &[&str]) -> String {
    match frontend("bad.c", src, attach) {
        Ok(b) => panic!("expected an error, got:\n{}", out(&b)),
        Err(d) => d,
    }
}

#[test]
fn diagnostics_for_bad_input() {
    let unknown = error_of(
        "BPF_HASH(c, u32, u64);\nTRACEPOINT_PROBE(sched, sched_switch)\n{\n    u32 k = 0;\n    c.frob(&k);\n    return 0;\n}\n",
        &[],
    );
    assert!(
        unknown.contains("bccc::E0201")
            && unknown.contains("bad.c:5:7")
            && unknown.contains("`lookup`"),
        "{unknown}"
    );

    let in_macro = error_of(
        "#define B(k) c.increment(k)\nBPF_HASH(c, u32, u64);\nTRACEPOINT_PROBE(sched, sched_switch)\n{\n    B(1);\n    return 0;\n}\n",
        &[],
    );
    assert!(
        in_macro.contains("bccc::E0202") && in_macro.contains("bad.c:5:5"),
        "{in_macro}"
    );

    let no_tp = error_of(
        "TRACEPOINT_PROBE(nosuch, thing)\n{\n    return 0;\n}\n",
        &[],
    );
    assert!(
        no_tp.contains("bccc::E0203") && no_tp.contains("bad.c:1:1"),
        "{no_tp}"
    );

    let field = error_of(
        "TRACEPOINT_PROBE(sched, sched_switch)\n{\n    return args->nope;\n}\n",
        &[],
    );
    assert!(
        field.contains("bccc::E0204") && field.contains("prev_pid"),
        "{field}"
    );

    let clang = error_of(
        "TRACEPOINT_PROBE(sched, sched_switch)\n{\n    int x = 1;\n    return x + undefined_name;\n}\n",
        &[],
    );
    assert!(
        clang.contains("bccc::E0101")
            && clang.contains("bad.c:4:16")
            && clang.contains("undefined_name"),
        "{clang}"
    );

    let wrong_kind = error_of(
        "BPF_PERF_OUTPUT(ev);\nTRACEPOINT_PROBE(sched, sched_switch)\n{\n    u32 k = 0;\n    ev.lookup(&k);\n    return 0;\n}\n",
        &[],
    );
    assert!(wrong_kind.contains("bccc::E0205"), "{wrong_kind}");

    let unattached = error_of(
        "int lonely(struct pt_regs *ctx)\n{\n    return 0;\n}\n",
        &[],
    );
    assert!(
        unattached.contains("bccc::E0207") && unattached.contains("bccc:attach"),
        "{unattached}"
    );

    let usdt = error_of(
        "int u(struct pt_regs *ctx)\n{\n    return 0;\n}\n",
        &["usdt:/bin/true:p:n=u"],
    );
    assert!(
        usdt.contains("bccc::E0211") && usdt.contains("not yet supported"),
        "{usdt}"
    );

    let bad_dir = error_of(
        "// bccc:attach uprobe:/bin/true=f\nint f(struct pt_regs *ctx)\n{\n    return 0;\n}\n",
        &[],
    );
    assert!(
        bad_dir.contains("bccc::E0208") && !bad_dir.contains("E0207"),
        "{bad_dir}"
    );
}

/// Compiles a BTF (fentry/fexit/LSM) program and loads it. This kernel refuses tracing and LSM
/// programs with EPERM before verifying them, so EPERM is accepted and any other failure (a
/// verifier rejection, a bad object) is not; a kernel that accepts them must load them.
fn load_btf(b: &Built) {
    let object = bccc::compile::compile(&b.fe.source, &b.fe.rewritten, &b.fe.env, &[])
        .unwrap_or_else(|d| panic!("compile failed:\n{}\n{}", d.render_plain(), out(b)));
    let open = libbpf_rs::ObjectBuilder::default()
        .open_memory(&object.elf)
        .expect("open object");
    if let Err(e) = open.load() {
        assert_eq!(
            e.kind(),
            libbpf_rs::ErrorKind::PermissionDenied,
            "load failed: {e:#}\n{}",
            out(b)
        );
    }
}

#[test]
fn fentry_fexit_and_lsm_programs() {
    let b = frontend(
        "f.c",
        "BPF_HASH(h, u32, u64);\n\
KFUNC_PROBE(do_sys_openat2, int dfd, const char *filename, struct open_how *how)\n{\n    u32 k = how->flags;\n    h.increment(k);\n    return 0;\n}\n\
KRETFUNC_PROBE(do_sys_openat2, int dfd, const char *filename, struct open_how *how, long ret)\n{\n    u32 k = ret;\n    h.delete(&k);\n    return 0;\n}\n\
LSM_PROBE(bprm_check_security, struct linux_binprm *bprm)\n{\n    u32 uid = bprm->cred->uid.val;\n    h.increment(uid);\n    return 0;\n}\n\
int on_read(unsigned long long *ctx, struct file *file)\n{\n    u32 k = file->f_flags;\n    h.increment(k);\n    return 0;\n}\n",
        &["kfunc:vfs_read=on_read"],
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let p = program(&b);
    let secs: Vec<String> = p.probes.iter().map(|p| p.section.to_string()).collect();
    assert_eq!(
        secs,
        [
            "fentry/do_sys_openat2",
            "fexit/do_sys_openat2",
            "lsm/bprm_check_security",
            "fentry/vfs_read"
        ]
    );
    assert_eq!(
        p.probes[1].kind,
        ProbeKind::Kfunc {
            symbol: "do_sys_openat2".into(),
            ret: true
        }
    );
    assert_eq!(
        p.probes[2].kind,
        ProbeKind::Lsm {
            hook: "bprm_check_security".into()
        }
    );
    assert_eq!(
        p.probes[2].attach,
        [bccc_manifest::AttachSpec::Lsm {
            hook: "bprm_check_security".into()
        }]
    );
    assert_eq!(
        p.probes[3].attach,
        [bccc_manifest::AttachSpec::Kfunc {
            symbol: "vfs_read".into(),
            ret: false
        }]
    );
    // BTF arguments are read directly: no CO-RE read rewriting (spec B.4).
    assert!(p.derefs.is_empty(), "{:?}", p.derefs);
    let t = out(&b);
    assert!(t.contains("SEC(\"fentry/do_sys_openat2\") int BPF_PROG(kfunc__vmlinux__do_sys_openat2, int dfd, const char *filename, struct open_how *how)\n{"), "{t}");
    assert!(t.contains("SEC(\"fexit/do_sys_openat2\") int BPF_PROG(kretfunc__vmlinux__do_sys_openat2, int dfd, const char *filename, struct open_how *how, long ret)"), "{t}");
    assert!(t.contains("SEC(\"lsm/bprm_check_security\") int BPF_PROG(lsm__bprm_check_security, struct linux_binprm *bprm)"), "{t}");
    assert!(
        t.contains("SEC(\"fentry/vfs_read\") int BPF_PROG(on_read, struct file *file)"),
        "{t}"
    );
    assert!(t.contains("u32 uid = bprm->cred->uid.val;"), "{t}");
    assert!(!t.contains("BPF_CORE_READ"), "{t}");
    load_btf(&b);
}

#[test]
fn tracepoint_data_loc_strings() {
    let b = build(
        "d.c",
        "struct e_t { char f[64]; char g[16]; };\nBPF_PERF_OUTPUT(ev);\n\
TRACEPOINT_PROBE(sched, sched_process_exec)\n{\n    struct e_t e = {};\n    TP_DATA_LOC_READ_STR(&e.f, filename, sizeof(e.f));\n    TP_DATA_LOC_READ_CONST(&e.g, filename, sizeof(e.g));\n    ev.perf_submit(args, &e, sizeof(e));\n    return 0;\n}\n",
        &[],
    );
    let t = out(&b);
    assert!(
        t.contains("(struct tracepoint__sched__sched_process_exec *args)"),
        "{t}"
    );
    assert!(t.contains("\tint data_loc_filename;\n"), "{t}");
    assert!(
        t.contains("TP_DATA_LOC_READ_STR(&e.f, filename, sizeof(e.f));"),
        "{t}"
    );
}

#[test]
fn diagnostics_for_btf_programs() {
    let no_fn = error_of(
        "KFUNC_PROBE(bccc_no_such_function, int a)\n{\n    return 0;\n}\n",
        &[],
    );
    assert!(
        no_fn.contains("bccc::E0302")
            && no_fn.contains("bad.c:1:1")
            && no_fn.contains("`bccc_no_such_function`")
            && no_fn.contains("--btf"),
        "{no_fn}"
    );

    let no_hook = error_of("LSM_PROBE(bccc_no_such_hook)\n{\n    return 0;\n}\n", &[]);
    assert!(
        no_hook.contains("bccc::E0302") && no_hook.contains("bpf_lsm_bccc_no_such_hook"),
        "{no_hook}"
    );

    let cli = error_of(
        "int f(unsigned long long *ctx)\n{\n    return 0;\n}\n",
        &["kfunc:bccc_no_such_function=f"],
    );
    assert!(
        cli.contains("bccc::E0302") && cli.contains("bad.c:1:1"),
        "{cli}"
    );

    let two_targets = error_of(
        "int f(unsigned long long *ctx)\n{\n    return 0;\n}\n",
        &["kfunc:vfs_read=f", "kfunc:vfs_write=f"],
    );
    assert!(
        two_targets.contains("bccc::E0212") && two_targets.contains("fentry/vfs_write"),
        "{two_targets}"
    );

    let entry_and_exit = error_of(
        "KFUNC_PROBE(vfs_read)\n{\n    return 0;\n}\n",
        &["kretfunc:vfs_read=kfunc__vmlinux__vfs_read"],
    );
    assert!(entry_and_exit.contains("bccc::E0212"), "{entry_and_exit}");
}

#[test]
fn tracepoint_reads_take_verifier_safe_shapes() {
    let b = build(
        "r.c",
        "struct e_t { u32 a; char c[16]; char d; u64 s; };\nBPF_PERF_OUTPUT(ev);\n\
static u32 prio_of(struct tracepoint__sched__sched_wakeup_new *rec)\n{\n    return rec->prio;\n}\n\
TRACEPOINT_PROBE(sched, sched_wakeup_new)\n{\n    struct e_t e = {};\n    u32 i = e.a & 3;\n    pid_t *p = &args->pid;\n\
    e.a = e.a ? args->pid : args->target_cpu;\n    e.a += *p + prio_of(args);\n\
    __builtin_memcpy(&e.c, args->comm, sizeof(args->comm));\n    e.d = args->comm[1] + args->comm[i];\n\
    bpf_probe_read_kernel(&e.s, 4, &args->prio);\n    bpf_probe_read_kernel(&e.c, sizeof(e.c), args->comm);\n\
    ev.perf_submit(args, &e, sizeof(e));\n    return 0;\n}\n",
        &[],
    );
    let t = out(&b);
    for want in [
        "return BCCC_TP_LOAD(rec, prio);",
        "pid_t *p = &(*BCCC_TP_ADDR(args, pid));",
        "e.a = e.a ? BCCC_TP_LOAD(args, pid) : BCCC_TP_LOAD(args, target_cpu);",
        "__builtin_memcpy(&e.c, BCCC_TP_ARRAY(args, comm), sizeof(args->comm));",
        "e.d = BCCC_TP_LOAD(args, comm[1]) + BCCC_TP_ELEM(args, comm, i);",
        // Addresses handed straight to a probe read stay addresses into the record.
        "bpf_probe_read_kernel(&e.s, 4, &args->prio);",
        "bpf_probe_read_kernel(&e.c, sizeof(e.c), args->comm);",
        "bpf_perf_event_output(args, &ev,",
    ] {
        assert!(t.contains(want), "missing `{want}` in:\n{t}");
    }
}

/// A program's leading kernel #includes are precompiled (one PCH per list, cached), and the
/// result still builds, loads and sees the headers' macros; a program with a definition before
/// its includes keeps the base PCH (the definition could change what the headers define).
#[test]
fn leading_kernel_includes_are_precompiled() {
    let src = "#include <net/sock.h>\n#include <linux/blkdev.h>\n\
        BPF_HASH(h, u32, u64);\nTRACEPOINT_PROBE(sched, sched_process_exec)\n{\n    \
        u32 k = DISK_NAME_LEN; u64 v = AF_INET6;\n    h.update(&k, &v);\n    return 0;\n}\n";
    let b = build("inc.c", src, &[]);
    let pch = |b: &Built| {
        b.fe.env
            .compile_pch
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    assert!(pch(&b).starts_with("includes-"), "{}", pch(&b));
    assert_eq!(
        b.fe.env.parse_pch,
        build("inc.c", src, &[]).fe.env.parse_pch
    );
    let late = build("late.c", &format!("#define MY_FLAG 1\n{src}"), &[]);
    assert!(pch(&late).starts_with("base-"), "{}", pch(&late));
}
