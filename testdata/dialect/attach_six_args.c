/*
 * A pt_regs probe with six typed arguments after ctx (the most x86-64 and arm64
 * pass in registers; BCC allows six there).
 */
BPF_HASH(sums, u32, u64);

// bccc:attach kprobe:do_sys_openat2
int six(struct pt_regs *ctx, long a, long b, long c, long d, long e, long f)
{
    u32 k = 0;
    u64 v = a + b + c + d + e + f;

    sums.update(&k, &v);
    return 0;
}

// test: spec B.1 six typed arguments after ctx
// test: needs kprobes
// test: run -d 1
