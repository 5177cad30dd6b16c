// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// Per-application byte counting for PacketBuddy (internal/apps).
//
// cgroup/sock_create tags every new socket of the daemon's network namespace
// with the process that creates it; cgroup_skb ingress and egress add each
// packet of a tagged socket to a counter keyed by (process, interface).
// Attached at the root of a cgroup v2 hierarchy they see every process.
// Packets without a tagged full socket (forwarded traffic, time-wait ACKs,
// sockets older than the daemon, other namespaces) are not counted here:
// the daemon books them as "unattributed".
//
// Regenerate the committed object and Go bindings with `go generate
// ./internal/apps/` (needs clang and linux-libc-dev); building pb does not.

#include <linux/bpf.h>
#include "bpf_helpers.h"

char __license[] SEC("license") = "Dual MIT/GPL";

// Only sockets of this network namespace are tagged (0: any); the daemon
// sets it to its own namespace's cookie before loading, so interface
// indexes in the counters are the daemon's interfaces.
volatile const __u64 target_netns = 0;

struct owner {
	__u32 tgid;
};

struct key {
	__u32 tgid;
	__u32 ifindex;
};

struct counts {
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 rx_packets;
	__u64 tx_packets;
};

struct comm {
	char name[16];
};

// The creating process of each socket. BPF_F_CLONE copies it to sockets a
// listener accepts, which are created by the kernel, not by sock_create.
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct owner);
} owners SEC(".maps");

// Cumulative counters; the daemon reads them every poll and deletes the
// entries of processes that have exited once it has counted them.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct key);
	__type(value, struct counts);
} usage SEC(".maps");

// The command name of each process that created a socket, for processes
// that exit before the daemon can read /proc.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct comm);
} comms SEC(".maps");

SEC("cgroup/sock_create")
int tag_socket(struct bpf_sock *sk)
{
	if (target_netns && bpf_get_netns_cookie(sk) != target_netns)
		return 1;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!tgid)
		return 1;
	struct owner *o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 1;
	o->tgid = tgid;
	if (!bpf_map_lookup_elem(&comms, &tgid)) {
		struct comm c = {};
		bpf_get_current_comm(&c.name, sizeof(c.name));
		bpf_map_update_elem(&comms, &tgid, &c, BPF_NOEXIST);
	}
	return 1;
}

static __always_inline void count(struct __sk_buff *skb, int egress)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return;
	struct owner *o = bpf_sk_storage_get(&owners, sk, 0, 0);
	if (!o || !o->tgid)
		return;
	struct key k = {.tgid = o->tgid, .ifindex = skb->ifindex};
	struct counts *c = bpf_map_lookup_elem(&usage, &k);
	if (!c) {
		struct counts zero = {};
		bpf_map_update_elem(&usage, &k, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&usage, &k);
		if (!c)
			return; // map full: left to "unattributed"
	}
	// skb->len is the packet from its network header on; the daemon adds
	// the link-layer header per packet.
	if (egress) {
		__sync_fetch_and_add(&c->tx_bytes, skb->len);
		__sync_fetch_and_add(&c->tx_packets, 1);
	} else {
		__sync_fetch_and_add(&c->rx_bytes, skb->len);
		__sync_fetch_and_add(&c->rx_packets, 1);
	}
}

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb)
{
	count(skb, 0);
	return 1;
}

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	count(skb, 1);
	return 1;
}
