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
