package apps

import (
	"errors"
	"fmt"
	"github.com/packetbuddy/pb/internal/netlink"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// diagSource counts TCP traffic per process without eBPF: each Read dumps
// every TCP socket with its tcp_info over NETLINK_SOCK_DIAG, finds the
// process of each new socket from /proc/PID/fd, and adds what each
// socket's counters moved since the last dump to its process's counters.
// Sockets destroyed between two dumps are counted from the kernel's
// socket-destroy notifications, which carry their final tcp_info.
//
// tcp_info counts payload bytes and segments; a sample's bytes are the
// payload plus, for every segment (pure ACKs included), the IP and TCP
// headers the socket uses (see diagSocket.headerBytes), the same "from
// the network header on" that the eBPF programs count. That is what an
// interface that counts each segment on the wire shows; virtual links that
// pass unsegmented GSO packets (veth, virtio) count fewer headers, and the
// Splitter then books the apps at most the interface's total.
//
// What it cannot see is unattributed: UDP (QUIC included) and every other
// protocol, sockets born and closed between two dumps, sockets older than
// Open (from Open on their traffic counts), and sockets of processes whose
// /proc entry pb may not read (other users' processes, without root).
type diagSource struct {
	fd, events int
	perFamily  bool // the kernel refused the dump of both families at once
	seq        uint32
	buf        []byte
	procs      *procMap
	started    bool
	socks      map[uint64]*sockState
	counts     map[sampleKey]*Sample
	dumped     []diagSocket
	want       map[uint32]uint32
	// walkBudget is the share of time walks of /proc may take (0.005: a
	// walk of 12 ms at most every 2.4 s); walked and walkTook are the
	// last walk's start and duration.
	walkBudget float64
	walked     time.Time
	walkTook   time.Duration

	addrs     map[netip.Addr]uint32
	loopback  uint32
	addrsRead time.Time
}

// keepMissing is how many dumps a socket missing from them is remembered
// for when its destroy notification has not come (an hour at the default
// poll of a second).
const keepMissing = 3600

type sockState struct {
	pid, ifindex    uint32 // pid 0: no process found
	inode           uint32
	sent, received  uint64
	segsOut, segsIn uint32
	hdr             uint64
	syn             uint64 // to add once: the options of its SYN and SYN-ACK
	missed          int    // dumps in a row it was not in
	destroyed       bool
}

// OpenSockDiag opens the TCP-only fallback: socket diagnostics over
// netlink. procRoot is the /proc to map sockets to processes from.
func OpenSockDiag(procRoot string) (Source, error) {
	fd, err := netlink.Open(unix.NETLINK_SOCK_DIAG, 0, false)
	if err != nil {
		return nil, &Unavailable{Why: Other, Hint: "socket diagnostics over netlink are not available", Err: err}
	}
	s := &diagSource{fd: fd, events: -1, buf: make([]byte, 64<<10), procs: newProcMap(procRoot),
		socks: map[uint64]*sockState{}, counts: map[sampleKey]*Sample{}, want: map[uint32]uint32{}, walkBudget: 0.005}
	// Destroy notifications (Linux 4.10+); without them, sockets closed
	// between two dumps lose their last poll's traffic to unattributed.
	if ev, err := netlink.Open(unix.NETLINK_SOCK_DIAG, tcpDestroyGroups, true); err == nil {
		unix.SetsockoptInt(ev, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
		s.events = ev
	}
	// The first dump is the baseline: traffic before Open is not counted.
	if _, err := s.Read(nil); err != nil {
		s.Close()
		return nil, &Unavailable{Why: Other, Hint: "the kernel refused a socket dump", Err: err}
	}
	return s, nil
}

// Destroys reports whether socket-destroy notifications are received.
func (s *diagSource) Destroys() bool { return s.events >= 0 }

func (s *diagSource) Read(dst []Sample) ([]Sample, error) {
	s.drainDestroyed()
	s.dumped = s.dumped[:0]
	if err := s.dump(); err != nil {
		return dst, err
	}
	clear(s.want)
	for i := range s.dumped {
		d := &s.dumped[i]
		if st, ok := s.socks[d.Cookie]; (!ok || st.pid == 0) && d.Inode != 0 && !s.procs.given(d.Inode) {
			s.want[d.Inode] = d.UID
		}
	}
	// A walk of /proc costs milliseconds (12 ms for 110 processes with
	// 1,500 descriptors here): walks are spaced so that they take at most
	// walkBudget of the time. Sockets found in between among the known
	// holders are named at once; the others wait for the next walk, their
	// bytes held back (see add).
	walk := time.Since(s.walked) >= time.Duration(float64(s.walkTook)/s.walkBudget)
	start := time.Now()
	if s.procs.find(s.want, walk) {
		s.walked, s.walkTook = time.Now(), time.Since(start)
	}
	for _, st := range s.socks {
		st.missed++
	}
	for i := range s.dumped {
		d := &s.dumped[i]
		st, ok := s.socks[d.Cookie]
		if !ok {
			st = &sockState{ifindex: s.ifindexOf(d), hdr: d.headerBytes(), inode: d.Inode}
			if d.Inode != 0 {
				st.pid, _ = s.procs.lookup(d.Inode)
			}
			if !s.started {
				// Older than Open: count from here on.
				st.sent, st.received, st.segsOut, st.segsIn = d.BytesSent, d.BytesReceived, d.SegsOut, d.SegsIn
			} else {
				st.syn = d.synExtra()
			}
			s.socks[d.Cookie] = st
		}
		if st.pid == 0 && d.Inode != 0 {
			st.pid, _ = s.procs.lookup(d.Inode)
		}
		st.missed = 0
		s.add(st, d)
	}
	for cookie, st := range s.socks {
		// A socket missing from a dump has been destroyed (its
		// notification may come with the next Read), or its connection
		// has ended while a process still holds it: the kernel takes it
		// out of its tables then, and tells of it, with its last
		// counters, once it is closed. So with notifications it is
		// kept until its own arrives, or for keepMissing dumps, in case
		// it was lost to a full buffer; without, two dumps.
		if st.destroyed || st.missed > 2 && (s.events < 0 || st.missed > keepMissing) {
			delete(s.socks, cookie)
			s.procs.drop(st.inode)
		}
	}
	s.started = true
	for _, c := range s.counts {
		dst = append(dst, *c)
	}
	return dst, nil
}

// add books what d's counters moved since st last saw them. While the
// socket's process is still to be looked for, nothing is taken: its bytes
// are booked in full once it is found, or left unattributed once no
// process is found holding it.
func (s *diagSource) add(st *sockState, d *diagSocket) {
	if st.pid == 0 && st.inode != 0 && !s.procs.given(st.inode) && !st.destroyed {
		return
	}
	var sent, recv uint64
	if d.BytesSent > st.sent {
		sent = d.BytesSent - st.sent
	}
	if d.BytesReceived > st.received {
		recv = d.BytesReceived - st.received
	}
	out, in := uint64(d.SegsOut-st.segsOut), uint64(d.SegsIn-st.segsIn) // modulo 2^32
	st.sent, st.received, st.segsOut, st.segsIn = max(st.sent, d.BytesSent), max(st.received, d.BytesReceived), d.SegsOut, d.SegsIn
	if st.pid == 0 || st.ifindex == 0 || (sent|recv|out|in) == 0 {
		return
	}
	k := sampleKey{st.pid, st.ifindex}
	c := s.counts[k]
	if c == nil {
		c = &Sample{PID: st.pid, Ifindex: st.ifindex}
		s.counts[k] = c
	}
	c.TxBytes += sent + out*st.hdr
	c.RxBytes += recv + in*st.hdr
	if st.syn != 0 && out != 0 && in != 0 {
		c.TxBytes += st.syn
		c.RxBytes += st.syn
		st.syn = 0
	}
	c.TxPackets += out
	c.RxPackets += in
}

// drainDestroyed books the final counters of the sockets destroyed since
// the last Read.
func (s *diagSource) drainDestroyed() {
	if s.events < 0 {
		return
	}
	for {
		n, _, err := unix.Recvfrom(s.events, s.buf, 0)
		if err != nil {
			// EAGAIN: all read. ENOBUFS: notifications were lost to a
			// full buffer; their sockets' last traffic is unattributed.
			if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		parseDiag(s.buf[:n], 0, func(d *diagSocket) {
			if st, ok := s.socks[d.Cookie]; ok && !st.destroyed {
				s.add(st, d)
				st.destroyed = true
			}
		})
	}
}

// dump reads every TCP socket into s.dumped: in one dump of both
// families (diagDumpAllRequest), or, if the kernel refuses that, one per
// family.
func (s *diagSource) dump() error {
	if !s.perFamily {
		s.seq++
		req := diagDumpAllRequest(s.seq)
		err := s.take(req[:])
		if err == nil {
			return nil
		}
		s.dumped = s.dumped[:0]
		s.perFamily = true
	}
	for _, fam := range []uint8{afInet, afInet6} {
		s.seq++
		req := diagDumpRequest(s.seq, fam)
		if err := s.take(req[:]); err != nil {
			return err
		}
	}
	return nil
}

// take sends a dump request and appends its answer to s.dumped.
func (s *diagSource) take(req []byte) error {
	if err := unix.Sendto(s.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("request socket dump: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(s.fd, s.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read socket dump: %w", err)
		}
		done, err := parseDiag(s.buf[:n], s.seq, func(d *diagSocket) { s.dumped = append(s.dumped, *d) })
		if err != nil || done {
			return err
		}
	}
}

// ifindexOf is the interface d's traffic goes through: the device it is
// bound to; loopback for a connection between two local addresses; else
// the interface that holds its local address.
func (s *diagSource) ifindexOf(d *diagSocket) uint32 {
	if d.Ifindex != 0 {
		return d.Ifindex
	}
	src, dst := d.Src.Unmap(), d.Dst.Unmap()
	for try := 0; try < 2; try++ {
		if s.addrs == nil || (try == 1 && time.Since(s.addrsRead) > time.Second) {
			s.readAddrs()
		}
		if src.IsLoopback() || dst.IsLoopback() {
			return s.loopback
		}
		if i, ok := s.addrs[src]; ok {
			if _, local := s.addrs[dst]; local {
				return s.loopback
			}
			return i
		}
	}
	return 0
}

func (s *diagSource) readAddrs() {
	s.addrsRead = time.Now()
	s.addrs = map[netip.Addr]uint32{}
	ifs, err := net.Interfaces()
	if err != nil {
		return
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			s.loopback = uint32(ifc.Index)
		}
		as, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					s.addrs[ip.Unmap()] = uint32(ifc.Index)
				}
			}
		}
	}
}

func (s *diagSource) Comm(pid uint32) string { return s.procs.comm[pid] }

func (s *diagSource) Forget(pids []uint32) error {
	for _, p := range pids {
		s.procs.forget(p)
		for k := range s.counts {
			if k.pid == p {
				delete(s.counts, k)
			}
		}
	}
	return nil
}

func (s *diagSource) Close() error {
	if s.events >= 0 {
		unix.Close(s.events)
		s.events = -1
	}
	if s.fd >= 0 {
		err := unix.Close(s.fd)
		s.fd = -1
		return err
	}
	return nil
}
