/*
 * tp_data_loc_no_semicolon: BCC's TP_DATA_LOC_READ* are `do { } while (0)`
 * statements since 2021 (before, their definitions ended in `;`), so a use
 * without its own `;` does not compile, in BCC as here.
 */
struct data_t {
    char fname[64];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct data_t data = {};

    TP_DATA_LOC_READ_STR(&data.fname, filename, sizeof(data.fname))
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.7 TP_DATA_LOC_READ_STR takes the `;` a statement needs, as in BCC
// test: error bccc::E0101
