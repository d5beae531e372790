// Field-alias macros of net/sock.h and net/inet_sock.h (sk_dport, sk_family, inet_sport) over
// a struct sock * that a tracepoint hands over.
#include <net/sock.h>
#include <net/inet_sock.h>

struct event_t {
	u16 family;
	u16 sport;
	u16 dport;
};
BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
	struct sock *sk = (struct sock *)args->skaddr;
	struct inet_sock *inet = (struct inet_sock *)sk;
	struct event_t ev = {};
	bpf_probe_read_kernel(&ev.family, sizeof(ev.family), &sk->sk_family);
	bpf_probe_read_kernel(&ev.dport, sizeof(ev.dport), &sk->sk_dport);
	bpf_probe_read_kernel(&ev.sport, sizeof(ev.sport), &inet->inet_sport);
	ev.dport = ntohs(ev.dport);
	ev.sport = ntohs(ev.sport);
	events.perf_submit(args, &ev, sizeof(ev));
	return 0;
}

// test: spec A.6 field-alias macros (sk->sk_dport, sk->sk_family, inet->inet_sport)
