/*
 * deref_form_read_str: bpf_probe_read_kernel_str(buf, n, file->f_path.dentry->d_name.name)
 * reads the inner pointers implicitly, then the string explicitly.
 *
 * On each exec, prints the executable's file name, read from the dentry of
 * the mm's exe_file.
 */
#include <linux/sched.h>
#include <linux/fs.h>

struct data_t {
    u32 pid;
    char comm[TASK_COMM_LEN];
    char name[32];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct file *file = task->mm->exe_file;
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read_kernel_str(&data.name, sizeof(data.name), file->f_path.dentry->d_name.name);
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 bpf_probe_read_kernel_str(buf, n, file->f_path.dentry->d_name.name): the dentry and name pointers are read implicitly
// test: spec B.4 bpf_probe_read_kernel_str(buf, n, file->f_path.dentry->d_name.name): the dentry and name pointers are read implicitly
// test: spec B.5 bpf_probe_read_kernel_str(buf, n, file->f_path.dentry->d_name.name): the dentry and name pointers are read implicitly
// test: setup cp $TARGET $TMP/derefstr
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefstr 1"
// test: expect row COMM=derefstr PID=${pid} NAME=derefstr
