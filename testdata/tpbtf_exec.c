/*
 * tpbtf_exec: trace program executions from the BTF-typed raw tracepoint sched_process_exec.
 *
 * Prints one line per successful exec: the process id, the pid it had before the exec
 * (different when a non-leader thread called exec), the new command name and the
 * filename that was executed. The tracepoint's arguments (task, old pid, binprm) are
 * read straight through BTF (tp_btf), without probe reads.
 */
#include <linux/sched.h>
#include <linux/binfmts.h>

#define FILENAME_LEN 128

struct data_t {
    u32 pid;
    u32 old_pid;
    char comm[TASK_COMM_LEN];
    char filename[FILENAME_LEN];
};

BPF_PERF_OUTPUT(events);

// bccc:attach tp_btf:sched_process_exec
int on_exec(unsigned long long *ctx, struct task_struct *p, pid_t old_pid,
            struct linux_binprm *bprm)
{
    struct data_t data = {};

    data.pid = p->tgid;
    data.old_pid = old_pid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    bpf_probe_read_kernel_str(&data.filename, sizeof(data.filename), bprm->filename);

    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: needs btf:btf_trace_sched_process_exec
// test: run
// test: stop INT
// test: workload cp $TARGET $TMP/tpbtf-exec; $TMP/tpbtf-exec 0 >/dev/null & echo child=$! >>$VARS; wait; sleep 0.3
// test: expect header PID OLD_PID COMM FILENAME
// test: expect row FILENAME=${TMP}/tpbtf-exec PID=${child} OLD_PID=${child} COMM=tpbtf-exec count=1
