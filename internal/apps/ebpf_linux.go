package apps

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// loader holds what Open needs from the system, so tests can make each
// step fail.
type loader struct {
	btfPath   string                 // the kernel's own BTF
	mountinfo func() ([]byte, error) // /proc/self/mountinfo
	mount     func(dir string) error // mounts a cgroup v2 hierarchy at dir
	unmount   func(dir string) error
	netns     func() (uint64, error) // cookie of the daemon's network namespace
	memlock   func() error
	load      func(netns uint64) (*countObjects, error)
	attach    func(cgroup string, objs *countObjects) ([]link.Link, error)
}

func systemLoader() loader {
	return loader{
		btfPath:   "/sys/kernel/btf/vmlinux",
		mountinfo: func() ([]byte, error) { return os.ReadFile("/proc/self/mountinfo") },
		mount: func(dir string) error {
			return unix.Mount("cgroup2", dir, "cgroup2", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		},
		unmount: func(dir string) error { return unix.Unmount(dir, unix.MNT_DETACH) },
		netns:   netnsCookie,
		memlock: rlimit.RemoveMemlock,
		load:    loadObjects,
		attach:  attachObjects,
	}
}

// Open loads and attaches the counting programs. It fails with
// *Unavailable when the kernel or the rights do not allow it.
func Open() (Source, error) { return systemLoader().open() }

func (l loader) open() (Source, error) {
	if _, err := os.Stat(l.btfPath); err != nil {
		return nil, &Unavailable{Why: NoBTF, Hint: "the kernel has no BTF type information (" + l.btfPath + "); per-app counting needs Linux 5.8 or later built with CONFIG_DEBUG_INFO_BTF=y"}
	}
	mi, err := l.mountinfo()
	if err != nil {
		return nil, &Unavailable{Why: NoCgroup2, Hint: "cannot read the mount table to find a cgroup v2 hierarchy", Err: err}
	}
	cgroup := findCgroup2(mi)
	if cgroup == "" {
		// A v1-only or hybrid system without the unified hierarchy
		// mounted: mount one privately, attach, and unmount it at once;
		// the programs stay attached to its root cgroup.
		dir, err := os.MkdirTemp("", "pb-cgroup2-")
		if err != nil {
			return nil, &Unavailable{Why: NoCgroup2, Hint: "no cgroup v2 hierarchy is mounted and no directory could be made to mount one", Err: err}
		}
		defer os.Remove(dir)
		if err := l.mount(dir); err != nil {
			hint := "no cgroup v2 hierarchy is mounted and mounting one failed; mount it (mount -t cgroup2 none /sys/fs/cgroup/unified) or boot with systemd.unified_cgroup_hierarchy"
			if errors.Is(err, unix.EPERM) {
				hint = "no cgroup v2 hierarchy is mounted and pb has no right to mount one; run pb serve as root, or mount it (mount -t cgroup2 none /sys/fs/cgroup/unified)"
			}
			return nil, &Unavailable{Why: NoCgroup2, Hint: hint, Err: err}
		}
		defer l.unmount(dir)
		cgroup = dir
	}
	if err := l.memlock(); err != nil {
		return nil, refused(fmt.Errorf("raise the locked-memory limit: %w", err))
	}
	cookie, err := l.netns()
	if err != nil {
		return nil, &Unavailable{Why: Other, Hint: "cannot identify the daemon's network namespace", Err: err}
	}
	objs, err := l.load(cookie)
	if err != nil {
		return nil, refused(fmt.Errorf("load eBPF programs: %w", err))
	}
	links, err := l.attach(cgroup, objs)
	if err != nil {
		objs.Close()
		return nil, refused(fmt.Errorf("attach to cgroup %s: %w", cgroup, err))
	}
	return &ebpfSource{objs: objs, links: links}, nil
}

// refused classifies a failure to load or attach: a permission error says
// which rights are missing; anything else is passed on.
func refused(err error) *Unavailable {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return &Unavailable{Why: NoRights, Hint: "pb serve lacks the rights to load eBPF programs; run it as root or grant CAP_BPF and CAP_NET_ADMIN (CAP_SYS_ADMIN before Linux 5.8)", Err: err}
	}
	return &Unavailable{Why: Other, Hint: "the kernel refused the counting programs", Err: err}
}

// findCgroup2 returns the mount point of the root of a cgroup v2 hierarchy
// in a /proc/self/mountinfo listing, or "".
func findCgroup2(mountinfo []byte) string {
	for line := range bytes.Lines(mountinfo) {
		pre, post, ok := strings.Cut(string(line), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		// mount ID, parent ID, major:minor, root, mount point, ...
		if len(f) < 5 || len(g) < 1 || g[0] != "cgroup2" || f[3] != "/" {
			continue
		}
		return unescapeMount(f[4])
	}
	return ""
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range []byte(s[i+1 : i+4]) {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + c - '0'
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// netnsCookie is the kernel's cookie for the network namespace of this
// process, as bpf_get_netns_cookie reports it.
func netnsCookie() (uint64, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	v, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
	if err != nil {
		return 0, fmt.Errorf("SO_NETNS_COOKIE (Linux 5.14+): %w", err)
	}
	return v, nil
}

func loadObjects(netns uint64) (*countObjects, error) {
	spec, err := loadCount()
	if err != nil {
		return nil, err
	}
	if err := spec.Variables["target_netns"].Set(netns); err != nil {
		return nil, fmt.Errorf("set namespace: %w", err)
	}
	var objs countObjects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		return nil, err
	}
	return &objs, nil
}

func attachObjects(cgroup string, objs *countObjects) ([]link.Link, error) {
	var links []link.Link
	for _, a := range []struct {
		prog *ebpf.Program
		typ  ebpf.AttachType
	}{
		{objs.TagSocket, ebpf.AttachCGroupInetSockCreate},
		{objs.CountIngress, ebpf.AttachCGroupInetIngress},
		{objs.CountEgress, ebpf.AttachCGroupInetEgress},
	} {
		l, err := link.AttachCgroup(link.CgroupOptions{Path: cgroup, Attach: a.typ, Program: a.prog})
		if err != nil {
			for _, l := range links {
				l.Close()
			}
			return nil, fmt.Errorf("%s: %w", a.typ, err)
		}
		links = append(links, l)
	}
	return links, nil
}

type ebpfSource struct {
	objs  *countObjects
	links []link.Link
	// The counters are read in batches (BPF_MAP_LOOKUP_BATCH, Linux
	// 5.6+), one raw system call per 256 entries instead of two per
	// entry; noBatch falls back to cilium/ebpf's iterator.
	batch   *batchReader
	noBatch bool
	elem    elemCalls
	forget  []Sample // Forget's reading of the map
}

func (s *ebpfSource) Read(dst []Sample) ([]Sample, error) {
	if !s.noBatch {
		if s.batch == nil {
			s.batch = newBatchReader(s.objs.Usage.FD())
		}
		out, err := s.batch.read(dst)
		if err == nil {
			return out, nil
		}
		if !batchUnsupported(err) {
			return dst, fmt.Errorf("read per-app counters: %w", err)
		}
		s.noBatch = true
	}
	return s.readEach(dst)
}

// readEach reads every counter with the map's iterator.
func (s *ebpfSource) readEach(dst []Sample) ([]Sample, error) {
	var k countKey
	var v countCounts
	it := s.objs.Usage.Iterate()
	for it.Next(&k, &v) {
		dst = append(dst, Sample{PID: k.Tgid, Ifindex: k.Ifindex, RxBytes: v.RxBytes, TxBytes: v.TxBytes, RxPackets: v.RxPackets, TxPackets: v.TxPackets})
	}
	if err := it.Err(); err != nil {
		return dst, fmt.Errorf("read per-app counters: %w", err)
	}
	return dst, nil
}

func (s *ebpfSource) Comm(pid uint32) string {
	return s.elem.lookupComm(s.objs.Comms.FD(), pid)
}

func (s *ebpfSource) Forget(pids []uint32) error {
	if len(pids) == 0 {
		return nil
	}
	// The map's keys come from one reading of it (a batch or two), not
	// from walking it key by key.
	var err error
	if s.forget, err = s.Read(s.forget[:0]); err != nil {
		return fmt.Errorf("forget exited processes: %w", err)
	}
	var errs []error
	usage, comms := s.objs.Usage.FD(), s.objs.Comms.FD()
	for _, e := range s.forget {
		if slices.Contains(pids, e.PID) {
			if err := s.elem.deleteKey(usage, countKey{Tgid: e.PID, Ifindex: e.Ifindex}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, p := range pids {
		if err := s.elem.deletePID(comms, p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("forget exited processes: %w", err)
	}
	return nil
}

func (s *ebpfSource) Close() error {
	var errs []error
	for _, l := range s.links {
		errs = append(errs, l.Close())
	}
	errs = append(errs, s.objs.Close())
	return errors.Join(errs...)
}
