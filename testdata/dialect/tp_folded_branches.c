/*
 * tp_folded_branches: field reads on both arms of a branch. clang merges such
 * loads into one load from a computed address inside the record, which the
 * verifier refuses ("dereference of modified ctx ptr"); each read here must stay
 * a load at a constant offset from args.
 */
struct data_t {
    u32 picked;
    s32 chosen;
    u32 either;
};

/* Run-time choices, so the compiler cannot fold the branches away. */
const volatile int which = 1;

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_wakeup_new)
{
    struct data_t data = {};

    data.picked = which ? args->pid : args->target_cpu;
    switch (which) {
    case 0:
        data.chosen = args->prio;
        break;
    case 1:
        data.chosen = args->pid;
        break;
    default:
        data.chosen = args->target_cpu;
    }
    if (which > 1)
        data.either = args->prio;
    else
        data.either = args->pid;
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec C.2 folded-offset shapes: ?:, switch and if/else arms each reading a different field
// test: run -d 2
// test: workload $TARGET 1 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header PICKED CHOSEN EITHER
// test: expect row PICKED=${child} CHOSEN=${child} EITHER=${child}
