/*
 * A partial re-declaration of a kernel struct (spec E.2): three of `task_struct`'s hundreds of
 * fields, in another order. Every member is the kernel's, and the program only holds pointers
 * to it, so it is a CO-RE flavour: each read relocates by name, and what it reads matches the
 * kernel's own answer (bpf_get_current_pid_tgid).
 */
struct task_struct {
    struct task_struct *real_parent;
    pid_t pid;
    pid_t tgid;
};

struct event_t {
    u32 tgid;
    u32 ppid;
    u32 same;
};

BPF_RINGBUF_OUTPUT(events, 8);

RAW_TRACEPOINT_PROBE(sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 id = bpf_get_current_pid_tgid();
    struct event_t event = {};

    event.tgid = task->tgid;
    event.ppid = task->real_parent->tgid;
    event.same = task->tgid == (id >> 32) && task->pid == (u32)id;
    events.ringbuf_output(&event, sizeof(event), 0);
    return 0;
}

// test: spec E.2 a partial re-declaration with fewer fields, in another order, relocates
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header TGID PPID SAME
// test: expect row TGID=${child} SAME=1
// test: expect row SAME=0 count=0
