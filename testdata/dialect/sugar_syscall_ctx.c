/*
 * PT_REGS_SYSCALL_CTX(ctx) and PT_REGS_PARMn_SYSCALL(regs): a syscall's arguments
 * from a kprobe on its entry point, whether or not the kernel wraps syscalls. The
 * kprobe names the generic `sys_openat`, which the runtime maps to this kernel's
 * entry point (`__x64_sys_openat`), as BCC does.
 */
struct event_t {
    u32 pid;
    char path[64];
};

BPF_PERF_OUTPUT(events);

// bccc:attach kprobe:sys_openat
int on_openat(struct pt_regs *ctx)
{
    struct pt_regs *regs = PT_REGS_SYSCALL_CTX(ctx);
    const char *filename = (const char *)PT_REGS_PARM2_SYSCALL(regs);
    struct event_t ev = {};

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read_user_str(&ev.path, sizeof(ev.path), filename);
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}

// test: spec A.4 PT_REGS_SYSCALL_CTX and PT_REGS_PARMn_SYSCALL
// test: spec E.1 kprobe targets named sys_* follow the kernel's syscall prefix
// test: needs kprobes
// test: run -d 2
// test: workload cat $TMP/syscall-ctx 2>/dev/null; true
// test: expect row PATH=${TMP}/syscall-ctx
