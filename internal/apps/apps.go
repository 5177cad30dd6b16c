package apps

import (
	"errors"
	"fmt"
)

// Sample is one process's cumulative traffic on one interface since its
// first counted packet. Bytes are from the network header on (the link
// layer's header is not in them; Packets lets a reader add it).
type Sample struct {
	PID       uint32
	Ifindex   uint32
	RxBytes   uint64
	TxBytes   uint64
	RxPackets uint64
	TxPackets uint64
}

// Source reads per-process counters.
type Source interface {
	// Read appends the current counters to dst.
	Read(dst []Sample) ([]Sample, error)
	// Comm returns the command name the kernel recorded for pid when it
	// created its first socket, for a process that has already exited.
	Comm(pid uint32) string
	// Forget deletes the counters of processes that have exited, after
	// their last reading was booked, so the maps stay small.
	Forget(pids []uint32) error
	// Close detaches the programs and frees their maps.
	Close() error
}

// The ways of counting, as [apps] method and /api/apps name them.
const (
	// MethodEBPF counts every packet of every protocol (Open).
	MethodEBPF = "ebpf"
	// MethodSockDiag counts TCP only, from socket diagnostics
	// (OpenSockDiag); everything else is unattributed.
	MethodSockDiag = "sock_diag"
)

// ErrUnsupported is returned by Open on systems where pb cannot count per
// application.
var ErrUnsupported = errors.New("per-app usage is not available on this OS")

// Why names the reason the kernel refused per-app counting.
type Why string

// The reasons Open can fail for.
const (
	NoRights  Why = "no-rights"
	NoBTF     Why = "no-btf"
	NoCgroup2 Why = "no-cgroup2"
	Other     Why = "other"
)

// Unavailable is the error Open returns when per-app counting cannot be
// switched on here: Error is one sentence for the notice at start, with
// what to do about it.
type Unavailable struct {
	Why  Why
	Hint string
	Err  error
}

func (e *Unavailable) Error() string {
	msg := "per-app usage is off: " + e.Hint
	if e.Err != nil {
		msg += fmt.Sprintf(" (%v)", e.Err)
	}
	return msg
}

func (e *Unavailable) Unwrap() error { return e.Err }
