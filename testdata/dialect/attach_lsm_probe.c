/* LSM_PROBE(hook, args...): the return value is the verdict (0 allows). */
BPF_HASH(opens, u32, u64);

LSM_PROBE(file_open, struct file *file)
{
    u32 uid = bpf_get_current_uid_gid();

    opens.increment(uid);
    return 0;
}

// test: spec A.3 LSM_PROBE
// test: needs lsm func:bpf_lsm_file_open
// test: run -d 1
