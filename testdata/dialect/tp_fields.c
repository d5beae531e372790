/*
 * tp_fields: reads scalar fields of a tracepoint record through BCC's
 * args-> (struct tracepoint__sched__sched_wakeup_new, generated from the format
 * file) and copies its char array field.
 */
struct data_t {
    u32 pid;
    s32 prio;
    s32 cpu;
    char comm[16];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_wakeup_new)
{
    struct data_t data = {};

    data.pid = args->pid;
    data.prio = args->prio;
    data.cpu = args->target_cpu;
    bpf_probe_read_kernel(&data.comm, sizeof(data.comm), args->comm);
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.7 args->field reads of integer fields and a char array handed to bpf_probe_read_kernel
// test: spec C.1 the struct generated from the format file, common fields hidden
// test: run -d 2
// test: workload c=$(cat /proc/$$/comm); echo comm=$c >>$VARS; echo len=${#c} >>$VARS
// test: workload $TARGET 1 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header PID PRIO CPU COMM
// test: expect row PID=${child} PRIO>=0 CPU>=0 COMM=${comm}
