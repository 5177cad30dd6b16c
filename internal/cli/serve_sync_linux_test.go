//go:build linux

package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestServeFinalSync: traffic written by the daemon's last flush reaches the
// fleet database at shutdown, not only at the next start. The sync interval
// is an hour, so only the first round and the final sync can send.
func TestServeFinalSync(t *testing.T) {
	url, _ := pgtest.Schema(t)
	dataDir := t.TempDir()
	flush := func(rx uint64) {
		t.Helper()
		st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// An interface this machine does not have: only the test writes to it.
		if err := st.Flush(context.Background(), usage.Batch{
			Interfaces: []usage.Interface{{Name: "seed0", Kind: "ethernet", Counted: true}},
			Deltas:     []usage.Delta{{Iface: "seed0", Bucket: time.Now().UTC().Truncate(time.Minute), Totals: usage.Totals{Rx: rx}}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	remote := func() uint64 {
		t.Helper()
		c, err := pgx.Connect(context.Background(), pgtest.Direct(t, url))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		var n uint64
		if err := c.QueryRow(context.Background(), `SELECT coalesce(sum(u.rx), 0) FROM pb_usage u
			JOIN pb_interfaces i ON i.device = u.device AND i.iface = u.iface WHERE i.name = 'seed0'`).Scan(&n); err != nil {
			return 0 // no schema yet
		}
		return n
	}

	flush(5000)
	_, stop := startServeEnv(t, dataDir, map[string]string{"PB_DATABASE_URL": url, "PB_SYNC_INTERVAL": "1h"})
	deadline := time.Now().Add(20 * time.Second)
	for remote() != 5000 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := remote(); got != 5000 {
		stop()
		t.Fatalf("first round sent %d bytes of seed0, want 5000", got)
	}
	flush(9000) // lands in the outbox while the daemon runs; the next round is an hour away
	stop()
	if got := remote(); got != 14000 {
		t.Fatalf("after shutdown the fleet has %d bytes of seed0, want 14000 (final sync)", got)
	}
}
