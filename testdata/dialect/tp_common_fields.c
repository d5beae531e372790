/*
 * tp_common_fields: BCC hides a record's common_* header fields (its struct
 * starts with `u64 __do_not_use__`), so args->common_pid does not compile.
 */
BPF_HASH(pids, u32, u64);

TRACEPOINT_PROBE(sched, sched_process_exit)
{
    u32 pid = args->common_pid;

    pids.increment(pid);
    return 0;
}

// test: spec C.1 common_* fields are not members of BCC's struct
// test: error bccc::E0204
