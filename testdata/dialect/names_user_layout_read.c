/*
 * A struct of the user's own layout that shares a kernel tag (`struct sock` with one
 * pointer member the kernel's has no member of) read through a kernel pointer: the
 * user's layout, as BCC reads it, with plain probe reads (no CO-RE relocation, which
 * no kernel type could satisfy).
 */
#include <uapi/linux/ptrace.h>

struct sock {
    u32 **sk_daddr;
};

// bccc:attach kprobe:vfs_read
int test(struct pt_regs *ctx, struct sock *skp)
{
    u32 *daddr = *(skp->sk_daddr);

    return *daddr;
}

// test: spec E.2 a user layout under a kernel tag, read through a kernel pointer
// test: spec B.3 nested reads through the user's own struct
// test: needs kprobes
// test: run -d 1
