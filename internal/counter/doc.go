// Package counter reads the cumulative byte counters of every network
// interface from the operating system, and describes each interface well
// enough for the "count every byte once" policy of DESIGN.md.
//
// # Design
//
// One [Reader] per OS sits behind one small interface. NewReader picks it:
//
//   - Linux takes one rtnetlink RTM_GETLINK dump per poll on a socket kept
//     open (name, ifindex and 64-bit counters of every interface in one
//     call; /proc/net/dev, without indexes, where netlink is not allowed)
//     and describes interfaces from /sys/class/net/<if>/.
//   - macOS lists interfaces with the NET_RT_IFLIST2 sysctl and takes the
//     byte counters from the per-interface IFMIB_IFDATA sysctl, because the
//     route-socket copy is cut at 4 GiB since macOS 13 (see counter_darwin.go).
//   - Windows reads GetIfTable2Ex once per poll and drops the NDIS filter rows
//     that repeat the bytes of the adapter beneath them.
//
// No reader ever starts a subprocess: gopsutil's macOS reader forks netstat on
// every call, which is exactly the overhead PacketBuddy exists to avoid.
//
// Read is the hot path (every poll, typically once a second): it reuses the
// caller's slice and, where it can, the interface-name strings of the previous
// poll, so a steady-state poll allocates almost nothing. Info is the cold path
// (when an interface is first seen and now and then): it may read several
// files or make extra system calls.
//
// Every reader reports each interface's OS index ([Counter.Index]), so the
// monitor can tell on every poll whether a name is still the same device.
//
// All byte-level parsing lives in files without build tags (rtnetlink.go,
// procnetdev.go, linux_sysfs.go, darwin_decode.go, windows_rows.go) so it is unit- and
// fuzz-tested on any OS, on fixtures under testdata/. Only the thin code that
// touches the kernel is in counter_linux.go, counter_darwin.go and
// counter_windows.go.
//
// Counters are reported raw. Deciding what a lower value means (a wrap or a
// reset) is the monitor's job; [Info.Bits] tells it the counter width when the
// OS makes it known.
package counter
