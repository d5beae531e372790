/*
 * kprobe__sys_NAME: auto-attached to this kernel's entry point for the syscall
 * (`__x64_sys_NAME` with syscall wrappers), its typed arguments read as the
 * syscall's arguments.
 */
struct event_t {
    u32 pid;
    u32 flags;
    char path[64];
};

BPF_PERF_OUTPUT(events);

int kprobe__sys_openat(struct pt_regs *ctx, int dfd, const char __user *filename, int flags)
{
    struct event_t ev = {};

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.flags = flags;
    bpf_probe_read_user_str(&ev.path, sizeof(ev.path), filename);
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}

// test: spec A.3 kprobe__sys_NAME auto-attach with syscall arguments
// test: spec E.1 kprobe__ names go through the kernel's syscall prefix
// test: needs kprobes
// test: run -d 2
// test: workload cat $TMP/kprobe-sys 2>/dev/null; true
// test: expect row PATH=${TMP}/kprobe-sys FLAGS=0
