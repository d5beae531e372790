/*
 * deref_prop_map_value_sock: BCC's tcpconnect shape. The socket pointer of
 * tcp_v4_connect() is stored in a map at entry and loaded back at return;
 * its address and ports sit in anonymous unions and structs of sock_common.
 *
 * Prints the destination port, the local port and the addresses of each
 * IPv4 TCP connect() that returned.
 */
#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <bcc/proto.h>

struct data_t {
    u32 pid;
    u32 saddr;
    u32 daddr;
    u16 lport;
    u16 dport;
};

BPF_HASH(currsock, u32, struct sock *);
BPF_PERF_OUTPUT(events);

int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk)
{
    u32 tid = bpf_get_current_pid_tgid();

    currsock.update(&tid, &sk);
    return 0;
}

int kretprobe__tcp_v4_connect(struct pt_regs *ctx)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct sock **skpp = currsock.lookup(&tid);
    struct data_t data = {};

    if (skpp == 0)
        return 0;
    struct sock *skp = *skpp;
    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.saddr = skp->__sk_common.skc_rcv_saddr;
    data.daddr = skp->__sk_common.skc_daddr;
    data.lport = skp->__sk_common.skc_num;
    data.dport = ntohs(skp->__sk_common.skc_dport);
    events.perf_submit(ctx, &data, sizeof(data));
    currsock.delete(&tid);
    return 0;
}

// test: spec A.5 propagation: a map value (currsock.update(&tid, &sk); struct sock *skp = *skpp)
// test: spec B.2 propagation: a map value (currsock.update(&tid, &sk); struct sock *skp = *skpp)
// test: spec B.5 anonymous members: skp->__sk_common.skc_num becomes BPF_CORE_READ(skp, __sk_common.skc_num)
// test: needs kprobes
// test: run -d 1
