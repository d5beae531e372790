/*
 * bad/unknown_tp_field: reads a field that the tracepoint does not have.
 * Expected: one error, syscalls:sys_enter_openat has no field `filenam`
 * (it has `filename`).
 */

struct data_t {
    u32 pid;
    char fname[64];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read_user_str(&data.fname, sizeof(data.fname), args->filenam);
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: error bccc::E0204
