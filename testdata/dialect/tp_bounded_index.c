/*
 * A u32 tracepoint field, bounds-checked, then used as an array index in a map value
 * (BCC's kvmexit: `u32 er = args->exit_reason; if (er >= N) return 0; ...
 * exit_ct[er]++`): the check must still bound the index the access uses.
 */
#define SLOTS 64

struct counts_t {
    u64 slot[SLOTS];
};

BPF_PERCPU_ARRAY(per_cpu, struct counts_t, 1);
BPF_HASH(seen, u32, u64);

TRACEPOINT_PROBE(sched, sched_switch)
{
    int zero = 0;
    u32 i = args->next_pid;
    struct counts_t *c;

    if (i >= SLOTS)
        return 0;
    c = per_cpu.lookup(&zero);
    if (!c)
        return 0;
    c->slot[i]++;
    seen.increment(i);
    return 0;
}

// test: spec C.2 a bounds-checked record field as an array index
// test: spec A.7 args->field of a u32 slot used as an index
// test: run -d 1
// test: workload sleep 0.2
// test: expect row KEY<64 COUNT>0
