/*
 * tp_renamed_record: records whose BTF struct is named differently across kernels.
 * sched_process_exit is sched_process_template's on 5.10 and its own struct from
 * 6.x on (which also adds group_dead); kmalloc is the kmem_alloc class's on 5.10
 * and its own, with a node field, from 6.1 on.
 */
struct exit_t {
    u32 pid;
    s32 prio;
    char comm[16];
};

BPF_PERF_OUTPUT(exits);
BPF_HISTOGRAM(sizes);

TRACEPOINT_PROBE(sched, sched_process_exit)
{
    struct exit_t e = {};

    e.pid = args->pid;
    e.prio = args->prio;
    __builtin_memcpy(&e.comm, args->comm, sizeof(e.comm));
    exits.perf_submit(args, &e, sizeof(e));
    return 0;
}

TRACEPOINT_PROBE(kmem, kmalloc)
{
    if (args->bytes_alloc >= args->bytes_req)
        sizes.increment(bpf_log2l(args->bytes_req));
    return 0;
}

// test: spec C.2 renamed records (sched_process_exit: template then own struct; kmalloc: kmem_alloc then kmalloc)
// test: spec C.3 the record is described at load time from the running kernel's format file, whatever its struct is named there
// test: run -d 2
// test: workload $TARGET 1 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header PID PRIO COMM
// test: expect row PID=${child} COMM=uprobe_target
// test: expect hist
