/*
 * A user struct that shares its tag with a kernel struct (spec E.2): `struct key` is the
 * kernel's keyring key, and even its member names are the kernel's. It is the user's event
 * layout all the same (submitted to a ring buffer, held by value), so bccc renames it without
 * CO-RE relocation and the runtime decodes the user's layout, printing its fields by name.
 */
struct key {
    u32 serial;
    u32 perm;
    u64 flags;
};

BPF_RINGBUF_OUTPUT(events, 8);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct key *k = events.ringbuf_reserve(sizeof(struct key));
    if (!k)
        return 0;
    k->serial = bpf_get_current_pid_tgid() >> 32;
    k->perm = 7;
    k->flags = 0x1234;
    events.ringbuf_submit(k, 0);
    return 0;
}

// test: spec E.2 a user event struct sharing a kernel struct's tag keeps the user's layout
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header SERIAL PERM FLAGS
// test: expect row SERIAL=${child} PERM=7 FLAGS=4660
