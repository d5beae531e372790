/*
 * deref_user_uprobe: the arguments of a uprobe point to user memory.
 *
 * On each call of main() in the test program, prints argc and the first
 * command-line argument, read through argv with user-memory reads.
 */
struct data_t {
    u32 pid;
    u32 argc;
    char arg1[16];
};

BPF_PERF_OUTPUT(events);

int on_main(struct pt_regs *ctx, int argc, char **argv)
{
    struct data_t data = {};
    char *arg1 = argv[1];

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.argc = argc;
    bpf_probe_read_user_str(&data.arg1, sizeof(data.arg1), arg1);
    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: spec A.5 user pointers: uprobe parameters (argv[1] is read with bpf_core_read_user)
// test: spec B.5 user pointers: uprobe parameters (argv[1] is read with bpf_core_read_user)
// test: build --attach uprobe:${TARGET}:main=on_main
// test: run -d 2
// test: workload $TARGET 7
// test: expect row ARGC=2 ARG1=7
