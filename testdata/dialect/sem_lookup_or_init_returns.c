/*
 * lookup_or_init() (deprecated) returns 0 from the probe when the map is full and
 * the key is missing; lookup_or_try_init() returns NULL and the probe goes on.
 */
struct val_t {
    u64 calls;
    u64 last_ns;
};

BPF_HASH(vals, u32, struct val_t, 1);
BPF_HASH(tries, u32, u64, 1);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct val_t zero = {};
    u64 one = 1;
    struct val_t *v = vals.lookup_or_init(&pid, &zero);

    v->calls++;
    v->last_ns = bpf_ktime_get_ns();
    u64 *t = tries.lookup_or_try_init(&pid, &one);
    if (t)
        (*t)++;
    return 0;
}

// test: spec E.1 lookup_or_init returns 0 from the probe on failure
// test: spec A.2 lookup_or_init and lookup_or_try_init
