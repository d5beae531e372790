/*
 * PT_REGS_PARM1..6, PT_REGS_RC, PT_REGS_IP, PT_REGS_SP, PT_REGS_FP and
 * PT_REGS_RET on a pt_regs program (kprobe and kretprobe).
 */
BPF_HASH(seen, u64, u64);

int kprobe__do_nanosleep(struct pt_regs *ctx)
{
    u64 k = PT_REGS_PARM1(ctx) ^ PT_REGS_PARM2(ctx) ^ PT_REGS_PARM3(ctx);
    u64 v = PT_REGS_PARM4(ctx) + PT_REGS_PARM5(ctx) + PT_REGS_PARM6(ctx);

    v += PT_REGS_IP(ctx) + PT_REGS_SP(ctx) + PT_REGS_FP(ctx) + PT_REGS_RET(ctx);
    seen.update(&k, &v);
    return 0;
}

int kretprobe__do_nanosleep(struct pt_regs *ctx)
{
    u64 k = 0;
    u64 rc = PT_REGS_RC(ctx);

    seen.update(&k, &rc);
    return 0;
}

// test: spec A.4 PT_REGS_PARM1..6, RC, IP, SP, FP, RET
// test: spec A.3 kprobe__ and kretprobe__ auto-attach names
// test: needs kprobes
// test: run -d 1
