package netlab

import "testing"

func TestTransferMovesTheCounters(t *testing.T) {
	l := New(t)
	l.WaitQuiet(t)
	rx0, tx0 := l.Counters(t)
	const up, down = 3 << 20, 1 << 20
	l.Transfer(t, up, down)
	l.WaitQuiet(t)
	rx1, tx1 := l.Counters(t)
	if tx1-tx0 < up || rx1-rx0 < down {
		t.Fatalf("counters moved rx %d tx %d, want at least %d/%d", rx1-rx0, tx1-tx0, down, up)
	}
	// Headers and ACKs cost a few percent, not more.
	if tx1-tx0 > up*11/10+(1<<16) {
		t.Fatalf("tx moved %d for a %d-byte payload: stray traffic on the pair?", tx1-tx0, up)
	}
}
