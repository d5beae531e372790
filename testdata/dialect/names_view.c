/*
 * runqlen's `struct cfs_rq_partial` pattern (spec E.2): a hand-copied prefix of a kernel struct
 * under a tag the kernel does not have, reached by casting a kernel pointer. Every member is
 * the kernel struct's and the program only holds pointers to it, so bccc makes it a flavour of
 * that struct (`task_struct___task_view`): its reads relocate against the real `task_struct`.
 */
struct task_view {
    pid_t pid;
    pid_t tgid;
};

struct event_t {
    u32 tgid;
    u32 ppid;
    u32 same;
};

BPF_PERF_OUTPUT(events);

RAW_TRACEPOINT_PROBE(sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct task_view *parent = (struct task_view *)task->real_parent;
    struct event_t event = {};

    event.tgid = bpf_get_current_pid_tgid() >> 32;
    event.ppid = parent->tgid;
    event.same = parent->tgid == task->real_parent->tgid && parent->pid == task->real_parent->pid;
    events.perf_submit(ctx, &event, sizeof(event));
    return 0;
}

// test: spec E.2 a partial copy under a tag the kernel lacks, cast from a kernel pointer, relocates
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header TGID PPID SAME
// test: expect row TGID=${child} PPID!=0 SAME=1
// test: expect row SAME=0 count=0
