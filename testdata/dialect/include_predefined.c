/*
 * The macros BCC predefines for every program: __KERNEL__, __BPF_TRACING__ and
 * KBUILD_MODNAME ("bcc"); a program may redefine KBUILD_MODNAME.
 */
#if !defined(__KERNEL__) || !defined(__BPF_TRACING__)
#error "BCC programs are kernel code"
#endif

BPF_ARRAY(name_len, u64, 1);
// bccc:display name_len counts

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    int k = 0;
    u64 v = sizeof(KBUILD_MODNAME) - 1;

    name_len.update(&k, &v);
    return 0;
}

// test: spec A.6 predefined __KERNEL__, __BPF_TRACING__, KBUILD_MODNAME
// test: run -d 2
// test: workload $TARGET 0 >/dev/null
// test: expect row KEY=0 COUNT=3
