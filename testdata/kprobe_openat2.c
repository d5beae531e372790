/*
 * kprobe_openat2: trace opens at the kernel's do_sys_openat2(), with their flags.
 *
 * One line per open: process id, command name, open flags and path. The probe
 * takes the kernel function's arguments as typed parameters (BCC rewrites them
 * to reads of the saved registers) and reads `how->flags` from kernel memory by
 * plain dereference. Needs a kernel with kprobes (CONFIG_KPROBES) to attach.
 */
#include <uapi/linux/ptrace.h>
#include <linux/fcntl.h>

struct open_event {
    u32 pid;
    u64 flags;
    char comm[TASK_COMM_LEN];
    char path[128];
};

BPF_PERF_OUTPUT(opens);

int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename,
                           struct open_how *how)
{
    struct open_event ev = {};

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.flags = how->flags;
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    bpf_probe_read_user_str(&ev.path, sizeof(ev.path), filename);
    opens.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}

// test: needs kprobes
// test: run -d 2
// test: workload cat $TMP/kprobe-open 2>/dev/null; true
// test: expect row PATH=${TMP}/kprobe-open
