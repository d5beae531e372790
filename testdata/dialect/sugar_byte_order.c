/* bpf_ntohs/ntohl/ntohll and bpf_htons/htonl/htonll, and the kernel's ntohs/htons. */
BPF_ARRAY(out, u64, 6);
// bccc:display out counts

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    int i = 0;
    u64 v;

    v = bpf_ntohs(0x1234);                   out.update(&i, &v); i++;
    v = bpf_htonl(0x12345678);               out.update(&i, &v); i++;
    v = bpf_ntohll(0x0102030405060708ULL);   out.update(&i, &v); i++;
    v = bpf_htonll(0x0102030405060708ULL);   out.update(&i, &v); i++;
    v = ntohs(0x0100);                        out.update(&i, &v); i++;
    v = htonl(1);                             out.update(&i, &v); i++;
    return 0;
}

// test: spec A.4 bpf_ntohs, bpf_htonl, bpf_ntohll, bpf_htonll, ntohs, htonl
// test: run -d 2
// test: workload $TARGET 0 >/dev/null
// test: expect row KEY=0 COUNT=13330
// test: expect row KEY=1 COUNT=2018915346
// test: expect row KEY=2 COUNT=578437695752307201
// test: expect row KEY=4 COUNT=1
// test: expect row KEY=5 COUNT=16777216
