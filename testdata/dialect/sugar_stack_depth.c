/* BPF_MAX_STACK_DEPTH, BPF_STACK_TRACE and get_stackid with BPF_F_USER_STACK. */
struct key_t {
    int kernel_id;
    int user_id;
};

BPF_STACK_TRACE(stacks, 1024);
BPF_HASH(counts, struct key_t, u64);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct key_t k = {};

    k.kernel_id = stacks.get_stackid(args, 0);
    k.user_id = stacks.get_stackid(args, BPF_F_USER_STACK);
    if (BPF_MAX_STACK_DEPTH != 127)
        return 1;
    counts.increment(k);
    return 0;
}

// test: spec A.4 BPF_MAX_STACK_DEPTH
// test: spec A.2 get_stackid with the tracepoint record as ctx
