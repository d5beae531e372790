/*
 * tp_widening: BCC widens a field whose slot is larger than its declared type
 * when the type is one of its list (spec C.1): sys_enter_openat's `int flags`
 * sits in an 8-byte slot, so args->flags is an s64. `umode_t mode` is not in
 * the list and keeps its 2 bytes (the low bytes of its 8-byte slot).
 */
struct data_t {
    s64 flags;
    u64 mode;
    u32 nr;
    char fname[64];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct data_t data = {};

    _Static_assert(sizeof(args->flags) == 8, "int flags in an 8-byte slot is an s64");
    _Static_assert(sizeof(args->mode) == 2, "umode_t is not widened");
    data.flags = args->flags;
    data.mode = args->mode;
    data.nr = args->__syscall_nr;
    bpf_probe_read_user_str(&data.fname, sizeof(data.fname), args->filename);
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec C.1 type widening by slot size (int in an 8-byte syscall slot; umode_t, not in BCC's list, kept)
// test: spec A.7 per-syscall record: args->filename, args->flags, args->__syscall_nr
// test: spec C.3 per-syscall records with no struct in BTF, described from the running kernel's format file
// test: needs CONFIG_FTRACE_SYSCALLS
// test: run -d 2
// test: setup echo tmp=$TMP >>$VARS
// test: workload echo x >$TMP/widened
// test: expect header FLAGS MODE NR FNAME
// test: expect row FNAME=${tmp}/widened FLAGS=577 MODE=438 NR=257
