/*
 * sizeof and offsetof on kernel types are the target kernel's, not the build
 * host's: they become CO-RE relocations (bpf_core_type_size, bpf_core_field_offset,
 * bpf_core_field_size), as the build host's struct layout differs from others. A size
 * passed to a helper that copies into the program's own storage stays that storage's
 * size (the build host's layout), so the copy cannot overrun it.
 */
struct sizes_t {
    u64 task_size;
    u64 pid_offset;
    u64 comm_size;
    char copied[16];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct sizes_t s = {};

    s.task_size = sizeof(struct task_struct);
    s.pid_offset = offsetof(struct task_struct, pid);
    s.comm_size = sizeof(t->comm);
    bpf_probe_read_kernel(&s.copied, sizeof(s.copied), &t->comm);
    events.perf_submit(args, &s, sizeof(s));
    return 0;
}

// test: spec B.5 sizeof and offsetof on kernel types relocate
// test: spec E.1 kernel struct sizes are the target's
// test: run -d 2
// test: workload $TARGET 0 >/dev/null
// test: expect row COMM_SIZE=16 TASK_SIZE>1000 PID_OFFSET>0 COPIED=uprobe_target
