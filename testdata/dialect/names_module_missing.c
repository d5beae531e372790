/*
 * A type of a kernel module (spec E.2): `struct nfs_inode` is nfs's, not vmlinux's. Without
 * the module's BTF (`--btf-module`, or the host's /sys/kernel/btf/nfs when building for the
 * running kernel with nfs loaded), bccc says which BTFs it searched instead of clang's
 * "incomplete type".
 */
#include <linux/fs.h>

BPF_HASH(sizes, u32, u64);

int kprobe__nfs_file_read(struct pt_regs *ctx, struct kiocb *iocb)
{
    struct inode *inode = iocb->ki_filp->f_inode;
    struct nfs_inode *nfsi = container_of(inode, struct nfs_inode, vfs_inode);
    u32 key = 0;
    u64 jiffies = nfsi->read_cache_jiffies;

    sizes.update(&key, &jiffies);
    return 0;
}

// test: spec E.2 a module's type without its BTF: the types searched, and --btf-module
// test: error bccc::E0110
