/*
 * uprobe_count: count calls of a user-space function, per process.
 *
 * Counts calls of bccc_test_work() in the uprobe_target test program and sums
 * the first argument of those calls, both per pid. Attach it when building:
 *     bccc build uprobe_count.c \
 *         --attach uprobe:/path/to/uprobe_target:bccc_test_work=count_work
 * or write the spec as a directive in a line comment right above count_work:
 *     // bccc:attach uprobe:/path/to/uprobe_target:bccc_test_work
 */
#include <uapi/linux/ptrace.h>

/* Calls per pid. */
BPF_HASH(calls, u32, u64);
/* Sum of the first argument (n) per pid. */
BPF_HASH(arg_sum, u32, u64);

int count_work(struct pt_regs *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    int n = PT_REGS_PARM1(ctx);

    calls.increment(pid);
    arg_sum.increment(pid, n);
    return 0;
}

// test: build --attach uprobe:${TARGET}:bccc_test_work=count_work
// test: run -d 2
// test: workload $TARGET 7 >/dev/null & echo child=$! >>$VARS; wait
// test: expect table calls KEY=${child} COUNT=7 count=1
// test: expect table arg_sum KEY=${child} COUNT=28 count=1
