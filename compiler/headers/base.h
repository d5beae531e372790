/* bccc/base.h: what every bccc-compiled BPF program sees first, in both the libclang parse and
 * the clang compile. bccc precompiles this header (one PCH per flag set), so keep it to the
 * kernel types, libbpf's BPF-side headers, the kernel headers below and macros that never
 * depend on -D flags. */
#ifndef __BCCC_BASE_H
#define __BCCC_BASE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Kernel headers every program gets, from bccc's generated set (headers/kernel, tools/kheaders;
 * absent only while the generator builds its own checks):
 * - what BCC force-includes into every program: Kbuild's linux/kconfig.h and the includes of
 *   BCC's helpers.h;
 * - the headers of the kernel names bccc's compat.h used to define by hand (TASK_COMM_LEN,
 *   PF_KTHREAD, AF_INET, CAP_SYS_ADMIN, NSEC_PER_SEC, S_ISREG, min_t, ntohs, U64_MAX, ...), so
 *   programs that include nothing keep them.
 * Only those: a header defines macros over names a program may use for its own purposes (BCC's
 * tests declare `struct sock { u32 *sk_daddr; }`, which net/sock.h's `sk_daddr` alias would
 * break), and BCC defines them only in programs that include the header. */
#if __has_include(<linux/compiler_types.h>)
#include <linux/kconfig.h>
#include <uapi/linux/bpf.h>
#include <uapi/linux/if_packet.h>
#include <linux/version.h>
#include <linux/log2.h>
#include <asm/page.h>
#include <linux/socket.h>
#include <linux/capability.h>
#include <linux/time64.h>
#include <linux/stat.h>
#include <linux/minmax.h>
#include <asm/byteorder.h>
#include <linux/limits.h>
#include <linux/sched.h>
#endif

/* Forces type T into the object's BTF under a name the package stage looks up
 * (`__bccc_anchor_<name>`), so event layouts can be decoded even when T is only used by local
 * variables (which BTF does not describe). The pointer lives in a section libbpf skips, so it
 * costs 8 bytes of ELF and no map at load time. */
#define BCCC_ANCHOR_TYPE(name, T) \
	T *__bccc_anchor_##name __attribute__((section(".bccc.anchor"), used))

#endif /* __BCCC_BASE_H */
