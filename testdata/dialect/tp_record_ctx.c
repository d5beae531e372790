/*
 * tp_record_ctx: the record pointer is the program's context: perf_submit(args,
 * ...) and get_stackid(args, ...) take it as the ctx argument.
 */
struct data_t {
    u32 pid;
    s32 stack;
};

BPF_PERF_OUTPUT(events);
BPF_STACK_TRACE(stacks, 128);

TRACEPOINT_PROBE(sched, sched_process_exit)
{
    struct data_t data = {};

    data.pid = args->pid;
    data.stack = stacks.get_stackid(args, 0);
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.7 perf_submit(args, ...) with the record as ctx
// test: spec A.2 get_stackid(args, flags) with the record as ctx
// test: run -d 2
// test: workload $TARGET 1 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row PID=${child} STACK>=0
