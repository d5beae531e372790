/*
 * tp_attached_fn: a plain function taking BCC's record struct, attached by a
 * directive rather than TRACEPOINT_PROBE, and a static helper taking the record.
 */
BPF_HASH(exits, u32, s32);
// bccc:display exits counts

static s32 priority(struct tracepoint__sched__sched_process_exit *rec)
{
    return rec->prio;
}

// bccc:attach tracepoint:sched:sched_process_exit
int on_exit(struct tracepoint__sched__sched_process_exit *args)
{
    u32 pid = args->pid;
    s32 prio = priority(args);

    exits.update(&pid, &prio);
    return 0;
}

// test: spec A.3 a function taking struct tracepoint__cat__ev * attached by directive
// test: spec A.7 the record passed to a static helper that reads it
// test: run -d 2
// test: workload $TARGET 1 >/dev/null & echo child=$! >>$VARS; wait
// test: expect table exits KEY=${child}
