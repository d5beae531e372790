//! Implicit reads of kernel and user memory (spec B): which pointers are external (their
//! sources and how they propagate) and the CO-RE form each read takes. Each test checks the
//! rewritten C and loads the program into this kernel, so the verifier judges every read.
//! Needs root, libclang, clang-19 and tracefs (as `.ci/run` provides).

use std::path::PathBuf;

use bccc::analyze::{DerefForm, Program};
use bccc::driver::{self, BuildOptions, Frontend};

struct Built {
    fe: Frontend,
    _dir: tempfile::TempDir,
}

fn frontend(src: &str, attach: &[&str]) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let input: PathBuf = dir.path().join("p.c");
    std::fs::write(&input, src).unwrap();
    let opts = BuildOptions {
        input,
        attach: attach.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    };
    match driver::frontend(&opts) {
        Ok(fe) => Built { fe, _dir: dir },
        Err(driver::BuildError::Diagnostics(d)) => panic!("{}", d.render_plain()),
        #[allow(unreachable_patterns, reason = "the driver may grow error variants")]
        Err(e) => panic!("{e}"),
    }
}

/// Compiles the rewritten C and loads every program as a built tool does (tracepoint records
/// described from this kernel's format files); `btf` accepts the EPERM this kernel gives
/// tracing programs before verifying them.
fn load(b: &Built, btf: bool) {
    let object = bccc::compile::compile(&b.fe.source, &b.fe.rewritten, &b.fe.env, &[])
        .unwrap_or_else(|d| panic!("compile failed:\n{}\n{}", d.render_plain(), out(b)));
    let manifest = bccc::package::manifest(&b.fe.source, &b.fe.program, &object, "p")
        .unwrap_or_else(|d| panic!("manifest failed:\n{}\n{}", d.render_plain(), out(b)));
    match bccc_runtime::verify(&manifest, &object.elf) {
        Ok(()) => {}
        Err(e) if btf && e.to_string().contains("Operation not permitted") => {}
        Err(e) => panic!("load failed: {e}\n{}", out(b)),
    }
}

/// Builds and loads `src`; returns the rewritten C.
fn build(src: &str, attach: &[&str]) -> Built {
    let b = frontend(src, attach);
    load(&b, false);
    b
}

fn out(b: &Built) -> &str {
    &b.fe.rewritten.text
}

fn program(b: &Built) -> &Program {
    &b.fe.program
}

/// Asserts the rewritten C contains each of `lines`.
fn has(b: &Built, lines: &[&str]) {
    for l in lines {
        assert!(out(b).contains(l), "missing `{l}` in:\n{}", out(b));
    }
}

const EXEC: &str = "TRACEPOINT_PROBE(sched, sched_process_exec)\n";

#[test]
fn map_stored_socket_and_anonymous_members() {
    // The example: BCC's tcpconnect shape.
    let b = build(
        "#include <net/sock.h>\nBPF_HASH(currsock, u32, struct sock *);\n\
int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk)\n{\n    u32 tid = bpf_get_current_pid_tgid();\n    currsock.update(&tid, &sk);\n    return 0;\n}\n\
int kretprobe__tcp_v4_connect(struct pt_regs *ctx)\n{\n    u32 tid = bpf_get_current_pid_tgid();\n    struct sock **skpp = currsock.lookup(&tid);\n    if (skpp == 0)\n        return 0;\n    struct sock *skp = *skpp;\n    u16 dport = skp->__sk_common.skc_dport;\n    u16 num = skp->__sk_common.skc_num;\n    u32 daddr = skp->__sk_common.skc_daddr;\n    bpf_trace_printk(\"%d %d %d\\n\", dport, num, ntohs(skp->__sk_common.skc_dport));\n    return daddr;\n}\n",
        &[],
    );
    has(
        &b,
        &[
            "struct sock *skp = *skpp;",
            "u16 dport = BPF_CORE_READ(skp, __sk_common.skc_dport);",
            "u16 num = BPF_CORE_READ(skp, __sk_common.skc_num);",
            "u32 daddr = BPF_CORE_READ(skp, __sk_common.skc_daddr);",
            "ntohs(BPF_CORE_READ(skp, __sk_common.skc_dport))",
        ],
    );
    assert!(!out(&b).contains("anonymous"), "{}", out(&b));
}

#[test]
fn sources_of_kernel_pointers() {
    let b = build(
        "#include <linux/hrtimer.h>\n\
int kprobe__do_nanosleep(struct pt_regs *ctx, struct hrtimer_sleeper *t)\n{\n    return t->task->pid;\n}\n\
int kretprobe__do_nanosleep(struct pt_regs *ctx)\n{\n    struct hrtimer_sleeper *s = (struct hrtimer_sleeper *)PT_REGS_PARM1(ctx);\n    return s->task->pid;\n}\n\
RAW_TRACEPOINT_PROBE(sched_switch)\n{\n    struct task_struct *prev = (struct task_struct *)ctx->args[1];\n    return prev->pid + ((struct task_struct *)ctx->args[2])->pid;\n}\n\
TRACEPOINT_PROBE(timer, timer_start)\n{\n    struct timer_list *timer = (struct timer_list *)args->timer;\n    return timer->expires == args->expires;\n}\n\
TRACEPOINT_PROBE(sched, sched_process_exit)\n{\n    struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n    return t->real_parent->tgid;\n}\n",
        &[],
    );
    has(
        &b,
        &[
            "return BPF_CORE_READ(t, task, pid);",
            "return BPF_CORE_READ(s, task, pid);",
            "struct task_struct *prev = (struct task_struct *)ctx->args[1];",
            "return BPF_CORE_READ(prev, pid) + ({ __auto_type",
            "return BPF_CORE_READ(timer, expires) == BCCC_TP_LOAD(args, expires);",
            "return BPF_CORE_READ(t, real_parent, tgid);",
        ],
    );
}

#[test]
fn propagation_through_locals_helpers_fields_and_maps() {
    let b = build(
        "#include <linux/sched.h>\nstruct info_t { struct task_struct *task; u64 ts; };\nBPF_HASH(infos, u32, struct info_t);\n\
static struct task_struct *parent_of(struct task_struct *t)\n{\n    return t->real_parent;\n}\n\
static u32 tgid_of(struct task_struct *t)\n{\n    return t->tgid;\n}\n\
TRACEPOINT_PROBE(syscalls, sys_enter_execve)\n{\n    u32 tid = bpf_get_current_pid_tgid();\n    struct info_t info = {.ts = 1, .task = (struct task_struct *)bpf_get_current_task()};\n    infos.update(&tid, &info);\n    return 0;\n}\n\
TRACEPOINT_PROBE(sched, sched_process_exec)\n{\n    u32 tid = bpf_get_current_pid_tgid();\n    struct info_t *ip = infos.lookup(&tid);\n    if (!ip)\n        return 0;\n    struct task_struct *t, *p;\n    t = ip->task;\n    p = tid ? parent_of(t) : t + 0;\n    void *raw = (void *)p;\n    return tgid_of((struct task_struct *)raw) + t->pid;\n}\n",
        &[],
    );
    has(
        &b,
        &[
            "return BPF_CORE_READ(t, real_parent);",
            "return BPF_CORE_READ(t, tgid);",
            "t = ip->task;",
            "+ BPF_CORE_READ(t, pid);",
        ],
    );
    // The probes do not read `ip->task` (a map value) nor `info.task` (a local).
    assert!(!out(&b).contains("BPF_CORE_READ(ip"), "{}", out(&b));
}

#[test]
fn each_form_of_read() {
    let b = build(
        &format!(
            "#include <linux/sched.h>\n{EXEC}{{\n    struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n    int i = 1;\n    int *tgidp = &t->tgid;\n    char *name = t->comm;\n    u32 a = *tgidp + name[0] + t->comm[i] + (*t).pid;\n    u32 bits = t->in_execve + t->dl.dl_throttled;\n    struct list_head *children = &t->children;\n    char buf[16];\n    bpf_probe_read_kernel(&a, sizeof(a), &t->real_parent->tgid);\n    bpf_probe_read_kernel_str(buf, sizeof(buf), t->mm->exe_file->f_path.dentry->d_name.name);\n    struct task_struct *parent;\n    bpf_probe_read(&parent, sizeof(parent), &t->real_parent);\n    return a + bits + (children->next != 0) + sizeof(t->comm);\n}}\n"
        ),
        &[],
    );
    has(
        &b,
        &[
            "int *tgidp = __builtin_preserve_access_index(&t->tgid);",
            "char *name = __builtin_preserve_access_index(&t->comm[0]);",
            "u32 a = BCCC_READ(*tgidp) + BCCC_READ(name[0]) + BCCC_READ(t->comm[i]) + BCCC_READ((*t).pid);",
            "u32 bits = BPF_CORE_READ_BITFIELD_PROBED(t, in_execve) + BPF_CORE_READ_BITFIELD_PROBED(t, dl.dl_throttled);",
            "struct list_head *children = __builtin_preserve_access_index(&t->children);",
            // The inner pointer is read first; the address holds a read, so it is not wrapped.
            "bpf_probe_read_kernel(&a, sizeof(a), &BPF_CORE_READ(t, real_parent)->tgid);",
            "bpf_probe_read_kernel_str(buf, sizeof(buf), BPF_CORE_READ(t, mm, exe_file, f_path.dentry, d_name.name));",
            // BCC leaves the legacy helper's source alone (spec B.4).
            "bpf_probe_read(&parent, sizeof(parent), &t->real_parent);",
            "BPF_CORE_READ(children, next) != 0) + sizeof(t->comm);",
        ],
    );
    let forms: Vec<&DerefForm> = program(&b).derefs.iter().map(|d| &d.form).collect();
    assert!(forms.contains(&&DerefForm::Decay), "{forms:?}");
    assert!(
        forms.iter().any(
            |f| matches!(f, DerefForm::Bitfield { path, .. } if path == &["dl", "dl_throttled"])
        ),
        "{forms:?}"
    );
}

#[test]
fn operands_that_are_not_plain_names_are_hoisted_out_of_the_builtin() {
    // `d.task` inside a CO-RE builtin would relocate the local struct's field; a read inside
    // another read's builtin does not compile.
    let b = build(
        &format!(
            "#include <linux/sched.h>\nstruct d_t {{ struct task_struct *task; }};\n{EXEC}{{\n    struct d_t d = {{}};\n    d.task = (struct task_struct *)bpf_get_current_task();\n    u32 pid = d.task->pid;\n    char c = d.task->real_parent->comm[0];\n    u32 bits = d.task->in_execve;\n    return pid + c + bits;\n}}\n"
        ),
        &[],
    );
    has(
        &b,
        &[
            "u32 pid = ({ __auto_type __bccc_p",
            "= (d.task); BPF_CORE_READ(__bccc_p",
            "char c = BCCC_PROBE_READ(({ __auto_type",
            "BPF_CORE_READ_BITFIELD_PROBED(__bccc_p",
        ],
    );
}

#[test]
fn user_memory_is_read_with_user_reads() {
    let b = build(
        "TRACEPOINT_PROBE(syscalls, sys_enter_clock_nanosleep)\n{\n    return args->rqtp->tv_sec;\n}\n\
TRACEPOINT_PROBE(syscalls, sys_enter_openat)\n{\n    return args->filename[0];\n}\n\
int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename, struct open_how *how)\n{\n    return filename[0] + how->flags;\n}\n\
// bccc:attach uprobe:/bin/true:main\nint on_main(struct pt_regs *ctx, int argc, char **argv)\n{\n    char *arg = argv[0];\n    return *arg;\n}\n\
struct app { int a; struct app *next; };\n// bccc:attach uprobe:/bin/true:main\nint on_app(struct pt_regs *ctx, struct app *p)\n{\n    return p->next->a;\n}\n",
        &[],
    );
    has(
        &b,
        &[
            "BPF_CORE_READ_USER(__bccc_p",
            "return BCCC_PROBE_READ_USER(BCCC_TP_LOAD(args, filename)[0]);",
            "return BCCC_READ_USER(filename[0]) + BPF_CORE_READ(how, flags);",
            "char *arg = BCCC_READ_USER(argv[0]);",
            "return BCCC_READ_USER(*arg);",
            // The program's own struct is in no kernel BTF: read without CO-RE relocations.
            "return BCCC_PROBE_READ_USER(BCCC_PROBE_READ_USER(p->next)->a);",
        ],
    );
}

#[test]
fn btf_pointers_are_read_directly() {
    let b = frontend(
        &format!(
            "#include <linux/hrtimer.h>\n{EXEC}{{\n    struct task_struct *t = bpf_get_current_task_btf();\n    return t->real_parent->tgid;\n}}\n\
KFUNC_PROBE(do_nanosleep, struct hrtimer_sleeper *s, enum hrtimer_mode mode)\n{{\n    return s->task->tgid;\n}}\n"
        ),
        &[],
    );
    has(
        &b,
        &["return t->real_parent->tgid;", "return s->task->tgid;"],
    );
    assert!(program(&b).derefs.is_empty(), "{:?}", program(&b).derefs);
    load(&b, true);
}

#[test]
fn core_builtins_and_sizeof_are_left_alone() {
    // libbpf's CO-RE macros expand to builtins whose argument is not loaded and cannot hold
    // another read; `sizeof` evaluates nothing.
    let b = build(
        &format!(
            "#include <linux/sched.h>\n{EXEC}{{\n    struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n    u32 x = 0;\n    bpf_core_read(&x, sizeof(x), &t->tgid);\n    u32 e = bpf_core_field_exists(t->in_execve) ? t->in_execve : 1;\n    return x + e + sizeof(t->pid) + BPF_CORE_READ(t, real_parent, tgid);\n}}\n"
        ),
        &[],
    );
    has(
        &b,
        &[
            "bpf_core_read(&x, sizeof(x), &t->tgid);",
            "bpf_core_field_exists(t->in_execve) ? BPF_CORE_READ_BITFIELD_PROBED(t, in_execve) : 1;",
            "return x + e + sizeof(t->pid) + BPF_CORE_READ(t, real_parent, tgid);",
        ],
    );
}
