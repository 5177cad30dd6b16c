package monitor

import (
	"math"
	"time"
)

// How a counter moved between two readings.
type movement int

const (
	moveNormal movement = iota // counter went up (or stayed)
	moveWrap                   // counter passed its maximum and started again at zero
	moveReset                  // interface re-created: the new value is the traffic since then
	moveSpike                  // no explanation fits under the speed cap: discarded
)

func (m movement) String() string {
	switch m {
	case moveWrap:
		return "wrap"
	case moveReset:
		return "reset"
	case moveSpike:
		return "spike"
	}
	return "normal"
}

// counterDelta explains how a counter went from prev to cur and returns the
// bytes that passed. bits is the counter width the OS reported (32, 64, or 0
// when unknown). limit is the most bytes the link could have carried in the
// elapsed time (see capBytes).
//
// A counter that went up by more than the limit is a spike (garbage from a
// driver, or a counter we misread) and is discarded. A counter that went down
// is a wrap or a reset: each candidate explanation is tried in turn and the
// first one that fits under the limit wins, so a 32-bit counter that wrapped
// after a busy second is a wrap, while an interface that was re-created and
// has a small count is a reset.
func counterDelta(prev, cur uint64, bits int, limit uint64) (uint64, movement) {
	fits := func(d uint64) bool { return d <= limit }
	if cur >= prev {
		d := cur - prev
		if fits(d) {
			return d, moveNormal
		}
		return d, moveSpike
	}
	width := bits
	if width == 0 { // unknown: a value that fits in 32 bits may come from a 32-bit counter
		width = 64
		if prev <= math.MaxUint32 {
			width = 32
		}
	}
	var wrapped uint64
	if width == 32 && prev <= math.MaxUint32 {
		wrapped = (math.MaxUint32 - prev) + cur + 1
	} else {
		wrapped = (math.MaxUint64 - prev) + cur + 1
	}
	if width == 32 && cur > math.MaxUint32 { // cannot be a 32-bit wrap
		wrapped = 0
	}
	if wrapped != 0 && fits(wrapped) {
		// A wrap and a reset can both fit when prev sits near the top of a
		// 32-bit range. Prefer the wrap only when prev was in the top half;
		// otherwise a re-created interface is the likelier story.
		if bits != 0 || prev >= 1<<31 {
			return wrapped, moveWrap
		}
	}
	if fits(cur) {
		return cur, moveReset
	}
	return cur, moveSpike
}

// Default speed caps.
const (
	// defaultCapBytesPerSec is used when the OS reports no link speed, or for
	// virtual links whose reported speed means nothing (veth says 10 Gb/s and
	// carries more): 100 Gb/s, generous for any real uplink.
	defaultCapBytesPerSec = 100e9 / 8
	// capSlack absorbs timing jitter between the kernel's counter update and
	// our reading of the clock.
	capSlack = 1 << 20
	// maxDelta bounds every delta whatever the elapsed time: 2^60 bytes is
	// 100 Gb/s for almost three years, and the store's INTEGER holds eight
	// of them, so no value that does not fit the store can reach it. It also
	// makes a 64-bit "wrap" (~1.8e19 bytes) impossible unless the counter
	// really was near the top.
	maxDelta = 1 << 60
)

// capBytes is the most bytes a link with this speed (bits/s, 0 unknown) and
// kind could carry in elapsed. The reported speed is trusted only for
// physical kinds, with 50 % headroom for full-duplex sums and jitter.
func capBytes(speedBits uint64, kind string, elapsed time.Duration, override uint64) uint64 {
	perSec := float64(defaultCapBytesPerSec)
	if override > 0 {
		perSec = float64(override)
	} else if speedBits > 0 && (kind == "ethernet" || kind == "wifi" || kind == "cellular") {
		perSec = float64(speedBits) / 8 * 1.5
	}
	secs := elapsed.Seconds()
	if secs < 0.001 {
		secs = 0.001
	}
	c := perSec*secs + capSlack
	if c >= maxDelta {
		return maxDelta
	}
	return uint64(c)
}
