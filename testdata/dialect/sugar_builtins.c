/*
 * memset, memcpy and memcmp are builtins in BCC programs (no libc): they work on
 * stack buffers.
 */
struct buf_t {
    char a[32];
    char b[32];
};

BPF_ARRAY(result, u64, 2);
// bccc:display result counts

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct buf_t buf;
    int k0 = 0, k1 = 1;
    u64 same, differ;

    memset(&buf, 0, sizeof(buf));
    bpf_get_current_comm(&buf.a, sizeof(buf.a));
    memcpy(buf.b, buf.a, sizeof(buf.b));
    same = memcmp(buf.a, buf.b, sizeof(buf.a)) == 0;
    buf.b[0]++;
    differ = memcmp(buf.a, buf.b, sizeof(buf.a)) != 0;
    result.update(&k0, &same);
    result.update(&k1, &differ);
    return 0;
}

// test: spec A.4 memset, memcpy and memcmp as builtins
// test: run -d 2
// test: workload $TARGET 0 >/dev/null
// test: expect row KEY=0 COUNT=1
// test: expect row KEY=1 COUNT=1
