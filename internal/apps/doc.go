// Package apps counts traffic per application: which process sent and
// received how many bytes on which interface.
//
// On Linux an eBPF program attached to the root of a cgroup v2 hierarchy
// tags every new socket with the process that creates it and counts each
// packet of a tagged socket per (process, interface); see bpf/count.c. The
// daemon reads the cumulative counters every poll (Source), names each
// process (Resolver: executable path, command name, and the systemd unit,
// flatpak or snap it runs in) and books the differences. Whatever the
// program cannot attribute (forwarded packets, sockets older than the
// daemon, time-wait ACKs) is the interface's "unattributed" remainder, so
// the apps of an interface always add up to its total.
//
// Without the rights or kernel support for eBPF, OpenSockDiag is the
// fallback: it counts TCP only, from the kernel's socket diagnostics over
// netlink (tcp_info of every socket each poll, and of each socket as it is
// destroyed), and maps sockets to processes through /proc/PID/fd. UDP,
// QUIC and all else is then unattributed.
//
// Per-app counting is off unless configured; when the kernel refuses it
// (no rights, no BTF, no cgroup v2) Open says why in one sentence and the
// rest of pb runs as before. On other systems Open reports ErrUnsupported.
package apps
