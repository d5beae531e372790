/* KFUNC_PROBE and KRETFUNC_PROBE: typed arguments read directly through BTF. */
BPF_HASH(sizes, u32, u64);

KFUNC_PROBE(vfs_read, struct file *file, char *buf, size_t count, loff_t *pos)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    u64 n = count;

    sizes.update(&pid, &n);
    return 0;
}

KRETFUNC_PROBE(vfs_read, struct file *file, char *buf, size_t count, loff_t *pos, ssize_t ret)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    if (ret > 0 && file->f_inode)
        sizes.increment(pid, ret);
    return 0;
}

// test: spec A.3 KFUNC_PROBE and KRETFUNC_PROBE
// test: needs fentry func:vfs_read
// test: run -d 1
