/*
 * bad/bad_attach: an attach directive with no symbol after the binary.
 * Expected: one error on the directive line: uprobe:BINARY:SYM needs a
 * symbol (uprobe:/bin/true:main=count_call would be valid).
 */
#include <uapi/linux/ptrace.h>

BPF_HASH(calls, u32, u64);

// bccc:attach uprobe:/bin/true=count_call
int count_call(struct pt_regs *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    calls.increment(pid);
    return 0;
}

// test: error bccc::E0208
