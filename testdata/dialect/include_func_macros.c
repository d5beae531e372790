// Function-like kernel macros: MAJOR/MINOR/MKDEV (linux/kdev_t.h), container_of, TCP_SKB_CB,
// and the socket casts tcp_sk/inet_sk (container_of_const on a member path).
#include <linux/kdev_t.h>
#include <linux/container_of.h>
#include <net/tcp.h>

BPF_HASH(devs, u32, u64);

TRACEPOINT_PROBE(block, block_rq_issue)
{
	u32 dev = args->dev;
	u32 key = MKDEV(MAJOR(dev), MINOR(dev));
	u64 one = 1;
	devs.update(&key, &one);
	return 0;
}

TRACEPOINT_PROBE(tcp, tcp_retransmit_skb)
{
	struct sk_buff *skb = (struct sk_buff *)args->skbaddr;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct sock_common *common = (struct sock_common *)args->skaddr;
	struct sock *sk = container_of(common, struct sock, __sk_common);
	u32 seq = 0;
	u16 family = 0;
	bpf_probe_read_kernel(&seq, sizeof(seq), &cb->seq);
	bpf_probe_read_kernel(&family, sizeof(family), &sk->__sk_common.skc_family);
	struct tcp_sock *ts = tcp_sk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	u32 srtt = ts->srtt_us >> 3;
	u16 sport = inet->inet_sport;
	u32 key = seq + family + srtt + sport;
	u64 one = 1;
	devs.update(&key, &one);
	return 0;
}

// test: spec A.6 function-like kernel macros (MAJOR, MINOR, MKDEV, container_of, TCP_SKB_CB, tcp_sk, inet_sk)
