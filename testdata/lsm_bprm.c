/*
 * lsm_bprm: count program executions per user, from the BPF LSM hook bprm_check_security.
 *
 * Prints a table of user ids and how many programs each one executed. The hook only
 * observes: it always returns 0, so every exec is allowed.
 */
BPF_HASH(execs, u32, u64);

LSM_PROBE(bprm_check_security, struct linux_binprm *bprm)
{
    u32 uid = bprm->cred->uid.val;

    execs.increment(uid);
    return 0;
}

// test: needs lsm func:bpf_lsm_bprm_check_security
// test: run -d 2
// test: workload for i in 1 2 3 4 5; do $TARGET 0 >/dev/null; done
// test: expect row KEY=0 COUNT>=5
