/*
 * deref_form_anon_member: members of anonymous structs and unions are named
 * as C names them, through the anonymous member (mm_struct's fields sit in an
 * anonymous struct, a qstr's len in an anonymous struct in an anonymous
 * union).
 *
 * On each exec, prints the length of the executable's file name, read through
 * mm->exe_file and the dentry's d_name, and whether it matches the length
 * half of d_name.hash_len.
 */
#include <linux/sched.h>
#include <linux/mm_types.h>
#include <linux/fs.h>
#include <linux/dcache.h>

struct data_t {
    u32 pid;
    u32 len;
    u32 ok;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct dentry *dentry = task->mm->exe_file->f_path.dentry;
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.len = dentry->d_name.len;
    data.ok = data.len == (u32)(dentry->d_name.hash_len >> 32);
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 anonymous members: task->mm->exe_file->f_path.dentry and dentry->d_name.len are C field paths (no anonymous member in the path)
// test: spec B.5 anonymous members: task->mm->exe_file->f_path.dentry and dentry->d_name.len are C field paths (no anonymous member in the path)
// test: setup cp $TARGET $TMP/derefanon
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefanon 1"
// test: expect row COMM=derefanon PID=${pid} LEN=9 OK=1
