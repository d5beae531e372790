/*
 * tp_folded_arrays: uses of a record's array field that read through a pointer
 * into the record (memcpy, a helper function walking the bytes, a run-time
 * index) and of a field's address. The verifier refuses loads through such
 * pointers; each must read a copy or become a probe read.
 */
struct data_t {
    u32 pid;
    u32 len;
    char comm[16];
    char first;
    char at;
};

BPF_PERF_OUTPUT(events);

static u32 length(const char *s)
{
    u32 n = 0;

    for (int i = 0; i < 16; i++) {
        if (s[i] == 0)
            break;
        n++;
    }
    return n;
}

TRACEPOINT_PROBE(sched, sched_wakeup_new)
{
    struct data_t data = {};
    pid_t *pid = &args->pid;
    u32 i = data.pid & 1;

    data.pid = *pid;
    __builtin_memcpy(&data.comm, args->comm, sizeof(data.comm));
    data.len = length(args->comm);
    data.first = args->comm[0];
    data.at = args->comm[i + 1];
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec C.2 folded-offset shapes: memcpy from an array field, an array field passed to a function, literal and run-time element reads, a field's address dereferenced
// test: run -d 2
// test: workload c=$(cat /proc/$$/comm); echo comm=$c >>$VARS; echo len=${#c} >>$VARS
// test: workload $TARGET 1 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header PID LEN COMM FIRST AT
// test: expect row PID=${child} LEN=${len} COMM=${comm}
