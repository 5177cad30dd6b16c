package apps

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The daemon's per-poll BPF map calls are raw system calls
// (unix.RawSyscall), not cilium/ebpf's, which go through the blocking
// unix.Syscall: its entersyscall wakes the runtime's monitor thread and,
// if the call outlasts 20 µs, lets it hand the processor to another
// thread, a few context switches a second at idle for one map read. A
// BPF map lookup, batch lookup or delete never sleeps (it copies under
// the map's bucket locks, which are spinlocks), so it cannot hold up the
// other goroutines the way a blocking call would. cilium/ebpf still loads
// and attaches the programs.

// mapElemAttr is union bpf_attr for BPF_MAP_LOOKUP_ELEM, BPF_MAP_DELETE_ELEM
// and BPF_MAP_GET_NEXT_KEY (linux/bpf.h).
type mapElemAttr struct {
	mapFD uint32
	_     uint32
	key   uint64 // pointer
	value uint64 // pointer: the value, or the next key
	flags uint64
}

// mapBatchAttr is union bpf_attr for the BPF_MAP_*_BATCH commands
// (linux/bpf.h, Linux 5.6+).
type mapBatchAttr struct {
	inBatch   uint64 // pointer; 0 for the first batch
	outBatch  uint64 // pointer
	keys      uint64 // pointer
	values    uint64 // pointer
	count     uint32 // in: room in keys and values; out: entries copied
	mapFD     uint32
	elemFlags uint64
	flags     uint64
}

// enotsupp is the kernel's ENOTSUPP (524), which it returns for a map type
// without batch operations; it is not in the C library's errno list.
const enotsupp = unix.Errno(524)

// batchUnsupported reports whether err says the kernel cannot look up this
// map in batches (before Linux 5.6 the command is unknown: EINVAL).
func batchUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, enotsupp) || errors.Is(err, unix.EOPNOTSUPP)
}

// bpfCall is one bpf(2) system call on attr (a *mapElemAttr or
// *mapBatchAttr kept on the heap with the buffers it points to).
func bpfCall(cmd int, attr unsafe.Pointer, size uintptr) error {
	_, _, e := unix.RawSyscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if e != 0 {
		return e
	}
	return nil
}

// batchReader reads a hash map of countKey → countCounts in batches of
// whole hash buckets with BPF_MAP_LOOKUP_BATCH, one system call per
// len(keys) entries, reusing its buffers. It is kept on the heap (the
// attribute holds addresses of its fields).
type batchReader struct {
	fd    int
	attr  mapBatchAttr
	token [2]uint64 // the kernel's position in the map: in, out
	keys  []countKey
	vals  []countCounts
}

func newBatchReader(fd int) *batchReader {
	return &batchReader{fd: fd, keys: make([]countKey, 256), vals: make([]countCounts, 256)}
}

// read appends every entry of the map to dst. It fails with an error for
// which batchUnsupported is true on kernels without batch lookups.
func (r *batchReader) read(dst []Sample) ([]Sample, error) {
	start := len(dst)
	first := true
	for {
		r.attr = mapBatchAttr{
			outBatch: uint64(uintptr(unsafe.Pointer(&r.token[1]))),
			keys:     uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.keys)))),
			values:   uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.vals)))),
			count:    uint32(len(r.keys)),
			mapFD:    uint32(r.fd),
		}
		if !first {
			r.token[0] = r.token[1]
			r.attr.inBatch = uint64(uintptr(unsafe.Pointer(&r.token[0])))
		}
		err := bpfCall(unix.BPF_MAP_LOOKUP_BATCH, unsafe.Pointer(&r.attr), unsafe.Sizeof(r.attr))
		n := int(r.attr.count)
		if errors.Is(err, unix.ENOSPC) && n == 0 {
			// One hash bucket holds more entries than the buffers:
			// grow them and ask for that bucket again (the kernel
			// left its position in the out token).
			r.keys, r.vals = make([]countKey, 2*len(r.keys)), make([]countCounts, 2*len(r.vals))
			continue
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return dst[:start], err
		}
		for i := range min(n, len(r.keys)) {
			k, v := &r.keys[i], &r.vals[i]
			dst = append(dst, Sample{PID: k.Tgid, Ifindex: k.Ifindex, RxBytes: v.RxBytes, TxBytes: v.TxBytes, RxPackets: v.RxPackets, TxPackets: v.TxPackets})
		}
		if err != nil {
			return dst, nil // ENOENT: that was the last batch
		}
		first = false
	}
}

// elemCalls looks up and deletes single map entries with raw system calls,
// its key and value buffers on the heap with it.
type elemCalls struct {
	attr mapElemAttr
	pid  uint32
	comm countComm
	key  countKey
}

// lookupComm looks up pid in the comms map (fd): the command name, or "" when
// it has none.
func (c *elemCalls) lookupComm(fd int, pid uint32) string {
	c.pid, c.comm = pid, countComm{}
	c.attr = mapElemAttr{mapFD: uint32(fd), key: uint64(uintptr(unsafe.Pointer(&c.pid))), value: uint64(uintptr(unsafe.Pointer(&c.comm)))}
	if bpfCall(unix.BPF_MAP_LOOKUP_ELEM, unsafe.Pointer(&c.attr), unsafe.Sizeof(c.attr)) != nil {
		return ""
	}
	b := make([]byte, 0, len(c.comm.Name))
	for _, ch := range c.comm.Name {
		if ch == 0 {
			break
		}
		b = append(b, byte(ch))
	}
	return string(b)
}

// deletePID deletes pid's entry of the comms map (fd); a missing entry is
// not an error.
func (c *elemCalls) deletePID(fd int, pid uint32) error {
	c.pid = pid
	return c.delete(fd, unsafe.Pointer(&c.pid))
}

// deleteKey deletes k's entry of the usage map (fd); a missing entry is
// not an error.
func (c *elemCalls) deleteKey(fd int, k countKey) error {
	c.key = k
	return c.delete(fd, unsafe.Pointer(&c.key))
}

func (c *elemCalls) delete(fd int, key unsafe.Pointer) error {
	c.attr = mapElemAttr{mapFD: uint32(fd), key: uint64(uintptr(key))}
	if err := bpfCall(unix.BPF_MAP_DELETE_ELEM, unsafe.Pointer(&c.attr), unsafe.Sizeof(c.attr)); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}
