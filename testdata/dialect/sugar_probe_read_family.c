/*
 * The explicit probe reads: bpf_probe_read (legacy), bpf_probe_read_kernel,
 * bpf_probe_read_user and their _str forms, on kernel and user memory.
 */
struct event_t {
    u32 pid;
    u32 ppid;
    char comm[16];
    char parent_comm[16];
    char path[64];
    char path_copy[8];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct task_struct *parent;
    struct event_t ev = {};

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read(&parent, sizeof(parent), &task->real_parent);
    bpf_probe_read_kernel(&ev.ppid, sizeof(ev.ppid), &parent->tgid);
    bpf_probe_read_kernel_str(&ev.comm, sizeof(ev.comm), task->comm);
    bpf_probe_read_str(&ev.parent_comm, sizeof(ev.parent_comm), parent->comm);
    bpf_probe_read_user_str(&ev.path, sizeof(ev.path), args->filename);
    bpf_probe_read_user(&ev.path_copy, sizeof(ev.path_copy), args->filename);
    events.perf_submit(args, &ev, sizeof(ev));
    return 0;
}

// test: spec A.4 bpf_probe_read, bpf_probe_read_kernel[_str], bpf_probe_read_user[_str], bpf_probe_read_str
// test: run -d 2
// test: workload echo self=$$ >>$VARS; cat $TMP/read-family 2>/dev/null; true
// test: expect row PATH=${TMP}/read-family PPID=${self} PATH_COPY^=/tmp/bcc
