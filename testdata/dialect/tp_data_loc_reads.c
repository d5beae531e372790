/*
 * tp_data_loc_reads: __data_loc fields (sched_process_exec's filename) read with each
 * of BCC's TP_DATA_LOC_READ macros, and the field itself (args->data_loc_filename:
 * the data's offset in the low 16 bits, its length in the high 16 bits).
 */
struct data_t {
    u32 pid;
    u32 len;
    char fname[128];
    char first[4];
    char whole[128];
    char either[8];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct data_t data = {};

    data.pid = args->pid;
    data.len = args->data_loc_filename >> 16;
    TP_DATA_LOC_READ_STR(&data.fname, filename, sizeof(data.fname));
    TP_DATA_LOC_READ_CONST(&data.first, filename, 3);
    /* The whole string with its NUL: the length comes from the field. */
    TP_DATA_LOC_READ(&data.whole, filename);
    /* Statements like BCC's do { } while (0): a `;` after each, braces optional. */
    if (data.len > 4)
        TP_DATA_LOC_READ_CONST(&data.either, filename, 4);
    else
        TP_DATA_LOC_READ_STR(&data.either, filename, sizeof(data.either));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.7 TP_DATA_LOC_READ, TP_DATA_LOC_READ_CONST, TP_DATA_LOC_READ_STR
// test: spec C.1 __data_loc field as int data_loc_<name>, read directly
// test: run -d 2
// test: setup echo target=$TARGET >>$VARS; echo len=$((${#TARGET} + 1)) >>$VARS; echo first=$(echo $TARGET | cut -c1-3) >>$VARS; echo four=$(echo $TARGET | cut -c1-4) >>$VARS
// test: workload $TARGET 1 >/dev/null
// test: expect header PID LEN FNAME FIRST WHOLE EITHER
// test: expect row FNAME=${target} LEN=${len} FIRST=${first} WHOLE=${target} EITHER=${four}
