/*
 * BCC's helper prototypes let programs pass integers where libbpf's take pointers
 * and the other way round (bpf_get_current_task() is a u64; sizes are ints):
 * the implicit conversions BCC programs rely on compile.
 */
struct event_t {
    u32 pid;
    u64 task;
    char comm[16];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct event_t ev = {};
    u64 task = bpf_get_current_task();
    struct task_struct *t = task;
    int size = sizeof(ev.comm);
    u64 addr = (u64)&ev;

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.task = task != 0;
    bpf_get_current_comm(ev.comm, size);
    if (t)
        events.perf_submit(args, (void *)addr, sizeof(ev));
    return 0;
}

// test: spec A.4 helper prototypes: implicit integer/pointer conversions
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row PID=${child} TASK=1 COMM=uprobe_target
