/*
 * tp_data_loc: trace program executions with the file name the kernel resolved.
 *
 * Prints one line per successful exec: the process id, the old process id and the
 * executed file name, read from the sched_process_exec tracepoint's __data_loc field.
 */
#define FNAME_LEN 128

struct data_t {
    u32 pid;
    u32 old_pid;
    char filename[FNAME_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct data_t data = {};

    data.pid = args->pid;
    data.old_pid = args->old_pid;
    TP_DATA_LOC_READ_STR(&data.filename, filename, sizeof(data.filename));

    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: needs btf:trace_event_raw_sched_process_exec
// test: run -d 2
// test: workload cp $TARGET $TMP/dataloc-exec; $TMP/dataloc-exec 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row PID=${child} FILENAME=${TMP}/dataloc-exec count=1
