package sync

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/importer"
	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

// The history tests turn sync on for a device with months of history,
// more buckets than several batches hold, and check that the remote copy
// equals the local one bucket by bucket, also when the upload is cut.

const historyBatch = 2000

// historyEnd is the clock of the history devices: the end of their history.
var historyEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// openHistory opens the store at path as a device with sync not yet on
// and returns it with a syncer of historyBatch buckets a batch.
func openHistory(t testing.TB, path, url, tz string) *device {
	t.Helper()
	return openDevice(t, path, url, tz, historyEnd, historyBatch)
}

// generated is a device whose store holds a year of one interface's
// 15-minute history from the store's generator (35,040 buckets).
func generated(t testing.TB, url, tz string) *device {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pb.db")
	if err := storetest.Generate(ctx, path, 1, 1, historyEnd, 7); err != nil {
		t.Fatal(err)
	}
	return openHistory(t, path, url, tz)
}

// imported is a device whose history came from a PacketBuddy 1.x database
// by pb import: 130 days of one reading every 15 minutes (12,480 buckets).
func imported(t testing.TB, url, tz string) *device {
	t.Helper()
	dir := t.TempDir()
	old := filepath.Join(dir, "packetbuddy.db")
	db, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CREATE TABLE devices (device_id TEXT PRIMARY KEY, os_type TEXT, hostname TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
		`CREATE TABLE usage_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, timestamp TIMESTAMP NOT NULL, bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL, synced INTEGER DEFAULT 0)`,
		`CREATE TABLE daily_aggregates (device_id TEXT NOT NULL, date TEXT NOT NULL, bytes_sent INTEGER DEFAULT 0, bytes_received INTEGER DEFAULT 0, peak_speed INTEGER DEFAULT 0, PRIMARY KEY (device_id, date))`,
		`CREATE TABLE monthly_aggregates (device_id TEXT NOT NULL, month TEXT NOT NULL, bytes_sent INTEGER DEFAULT 0, bytes_received INTEGER DEFAULT 0, PRIMARY KEY (device_id, month))`,
		`CREATE TABLE system_state (key TEXT PRIMARY KEY, value_text TEXT, value_int INTEGER, updated_at TIMESTAMP)`,
		`INSERT INTO devices VALUES ('old-device', 'Linux', 'oldhost', '2025-10-01 00:00:00')`,
		`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < 12479)
		 INSERT INTO usage_logs (device_id, timestamp, bytes_sent, bytes_received)
		 SELECT 'old-device', strftime('%Y-%m-%d %H:%M:%S', '2025-10-22 00:07:00', '+' || (i * 15) || ' minutes'), 100 + i % 37, 5000 + i % 1013 FROM s`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if err := os.WriteFile(filepath.Join(dir, "device_id"), []byte("old-device\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := importer.Read(ctx, "packetbuddy", old, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	d := openHistory(t, filepath.Join(t.TempDir(), "pb.db"), url, tz)
	if _, err := importer.Apply(ctx, d.st, h, usage.Policy{}, time.UTC, nil); err != nil {
		t.Fatal(err)
	}
	return d
}

// localBuckets is every coarse bucket of the device's store.
func localBuckets(t testing.TB, st *store.Store) map[[2]int64][2]int64 {
	t.Helper()
	m := map[[2]int64][2]int64{}
	if err := st.EachBucket(ctx, func(b store.Bucket) error {
		m[[2]int64{b.IfaceID, b.Start.Unix()}] = [2]int64{b.Rx, b.Tx}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameBuckets fails unless the remote buckets of d equal its local ones,
// interface by interface and bucket by bucket (and the remote rollups
// equal the remote buckets: remote checks them). It returns the number of
// buckets.
func sameBuckets(t testing.TB, url string, d *device) int {
	t.Helper()
	local := localBuckets(t, d.st)
	c := pgtest.Connect(t, url)
	rows, err := c.Query(ctx, `SELECT u.iface, u.ts, u.rx, u.tx FROM pb_usage u JOIN pb_devices d ON d.id = u.device WHERE d.device_id = $1`, d.id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	remoteN, differ, extra := 0, 0, 0
	seen := map[[2]int64]bool{}
	for rows.Next() {
		var iface, rx, tx int64
		var ts time.Time
		if err := rows.Scan(&iface, &ts, &rx, &tx); err != nil {
			t.Fatal(err)
		}
		remoteN++
		k := [2]int64{iface, ts.Unix()}
		seen[k] = true
		v, ok := local[k]
		switch {
		case !ok:
			extra++
		case v != [2]int64{rx, tx}:
			differ++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for k := range local {
		if !seen[k] {
			missing++
		}
	}
	if missing+differ+extra != 0 || remoteN != len(local) {
		t.Errorf("remote has %d buckets, local %d: %d missing, %d differ, %d extra", remoteN, len(local), missing, differ, extra)
	}
	if got, want := remote(t, url, d.id), d.local(t); got != want {
		t.Errorf("remote total %+v, local %+v", got, want)
	}
	return len(local)
}

// syncUntilDone runs rounds until one succeeds (at most n).
func syncUntilDone(t testing.TB, d *device, n int) {
	t.Helper()
	var err error
	for range n {
		if _, err = d.sy.SyncNow(ctx); err == nil {
			if p := pending(t, d); p != 0 {
				t.Fatalf("a round succeeded with %d buckets pending", p)
			}
			return
		}
	}
	t.Fatalf("no round succeeded in %d: %v", n, err)
}

func TestFirstSyncOfLongHistory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dev  func(testing.TB, string, string) *device
		want int
	}{
		{"generated year", generated, 35040},
		{"imported 130 days", imported, 12480},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, _ := testSchema(t)
			d := tc.dev(t, url, "Europe/Berlin")
			if err := d.st.StartChangeTracking(ctx); err != nil { // sync turned on
				t.Fatal(err)
			}
			if p := pending(t, d); p != int64(tc.want) {
				t.Fatalf("pending after turning sync on = %d, want %d", p, tc.want)
			}
			r := mustSync(t, d)
			if r.Rows != int64(tc.want) {
				t.Errorf("first sync sent %d buckets, want %d", r.Rows, tc.want)
			}
			if n := sameBuckets(t, url, d); n != tc.want {
				t.Errorf("%d local buckets, want %d", n, tc.want)
			}
		})
	}
}

// The connection is killed between batches (after one batch's COMMIT and
// acknowledgement, before the next): the round fails, the next one
// carries on where it stopped.
func TestConnectionKilledBetweenBatches(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	d := generated(t, url, "America/New_York")
	if err := d.st.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	admin := adminConn(t)
	batches, kills := 0, 0
	d.sy.afterCommit = func(conn *pgx.Conn) error {
		// Not after the last batch: another must follow the kill.
		if batches++; batches%4 == 2 && pending(t, d) > historyBatch {
			kills++
			killConn(t, admin, url, conn)
		}
		return nil
	}
	failures := 0
	for range 20 {
		if _, err := d.sy.SyncNow(ctx); err != nil {
			failures++
			continue
		}
		if pending(t, d) == 0 {
			break
		}
	}
	// Directly, each kill fails exactly the round it hits. Through the
	// pooler a kill ends every server connection of the test's database,
	// and each of the pool's two (default_pool_size in
	// scripts/pgbouncer-test.sh) can fail the round it is handed to next.
	most := kills
	if pgtest.Pooled() {
		most = 2 * kills
	}
	if kills < 3 || failures < kills || failures > most {
		t.Errorf("%d kills, %d failed rounds: want at least 3 kills, each failing one round (up to two through the pooler)", kills, failures)
	}
	if n := sameBuckets(t, url, d); n != 35040 {
		t.Errorf("%d buckets", n)
	}
}

// TestMain is also the syncing process that TestSIGKILLMidUpload kills:
// with PB_TEST_SYNC_DB set, it syncs that store in slow batches until
// killed, instead of running the tests.
func TestMain(m *testing.M) {
	if path := os.Getenv("PB_TEST_SYNC_DB"); path != "" {
		if err := syncUntilKilled(path, os.Getenv("PB_TEST_SYNC_URL")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
	os.Exit(m.Run())
}

func syncUntilKilled(path, url string) error {
	st, err := store.Open(ctx, path, store.Options{Now: func() time.Time { return historyEnd }})
	if err != nil {
		return err
	}
	id, err := st.DeviceID(ctx)
	if err != nil {
		return err
	}
	sy := New(st, Options{URL: url, Device: Device{ID: id, Hostname: "host-" + id[:4], OSType: "Linux", TimeZone: "Asia/Kolkata"},
		BatchSize: historyBatch, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond, ConnectTimeout: 3 * time.Second})
	sy.afterCommit = func(*pgx.Conn) error { time.Sleep(20 * time.Millisecond); return nil }
	for {
		sy.SyncNow(ctx)
		time.Sleep(10 * time.Millisecond)
	}
}

// The syncing process is killed (SIGKILL) in the middle of a first upload;
// started again, it sends the rest and nothing twice.
func TestSIGKILLMidUpload(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	path := filepath.Join(t.TempDir(), "pb.db")
	if err := storetest.Generate(ctx, path, 1, 1, historyEnd, 11); err != nil {
		t.Fatal(err)
	}
	d := openHistory(t, path, url, "Asia/Kolkata")
	if err := d.st.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PB_TEST_SYNC_DB="+path, "PB_TEST_SYNC_URL="+url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	c := pgtest.Connect(t, url)
	var sent int
	deadline := time.Now().Add(60 * time.Second)
	for sent < 5*historyBatch && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if err := c.QueryRow(ctx, `SELECT count(*) FROM pb_usage`).Scan(&sent); err != nil {
			sent = 0 // the schema's tables are not there yet
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	<-done
	if sent < 5*historyBatch || sent >= 35040 {
		t.Fatalf("killed after %d of 35040 buckets, want mid-upload", sent)
	}
	if p := pending(t, d); p == 0 || p > 35040-int64(sent)+historyBatch {
		t.Errorf("pending after the kill = %d (%d buckets were remote)", p, sent)
	}
	syncUntilDone(t, d, 3)
	if n := sameBuckets(t, url, d); n != 35040 {
		t.Errorf("%d buckets", n)
	}
}

// Sync is switched off (the outbox empties), traffic goes on, into new
// buckets and buckets already sent, and sync is switched on again: the
// whole history is sent again and the remote equals the local copy.
func TestSyncOffAndOn(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	d := imported(t, url, "UTC")
	if err := d.st.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	mustSync(t, d)
	sameBuckets(t, url, d)
	if err := d.st.StopChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	d.base = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC) // inside the imported history
	d.traffic(t, 0, 3*24*60)                              // and new interfaces
	if err := d.st.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	want := int64(len(localBuckets(t, d.st)))
	if p := pending(t, d); p != want {
		t.Fatalf("pending after sync was switched on again = %d, want every bucket (%d)", p, want)
	}
	r := mustSync(t, d)
	if r.Rows != want {
		t.Errorf("sent %d, want %d", r.Rows, want)
	}
	if n := sameBuckets(t, url, d); n != int(want) || n < 12480+3*3*24*4 {
		t.Errorf("%d buckets", n)
	}
}

// A database of remote schema 1 (buckets and lifetimes, no days) is
// migrated by the first sync of this build: the days are back-filled from
// the buckets in each device's zone, the rollups agree with the buckets,
// and the fleet reads them.
func TestRemoteMigrationFromSchema1(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	a, b := newDevice(t, url, "Europe/Berlin"), newDevice(t, url, "America/New_York")
	a.traffic(t, 0, 3000)
	b.traffic(t, 1000, 3000)
	mustSync(t, a)
	mustSync(t, b)
	c := pgtest.Connect(t, url)
	// Back to schema 1, as pb 2.0 left it.
	if _, err := c.Exec(ctx, `DROP TABLE pb_days; ALTER TABLE pb_lifetime RENAME TO pb_totals; DELETE FROM pb_schema_version WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := Query(ctx, c, time.Now()); err == nil || err.Error() != "the sync database has schema 1 and this pb reads schema 2: it is upgraded by the next sync of a device running this pb (pb sync now)" {
		t.Errorf("fleet read of schema 1 = %v", err)
	}
	a.traffic(t, 2990, 20) // a bucket already sent changes, new ones follow
	if r := mustSync(t, a); r.Rows == 0 {
		t.Fatal("nothing sent")
	}
	var v int
	if err := c.QueryRow(ctx, `SELECT max(version) FROM pb_schema_version`).Scan(&v); err != nil || v != 2 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	for _, d := range []*device{a, b} {
		sameBuckets(t, url, d)
	}
	var days int
	if err := c.QueryRow(ctx, `SELECT count(DISTINCT (device, day)) FROM pb_days`).Scan(&days); err != nil || days != 6 {
		t.Errorf("%d device-days, %v; want 3 days each", days, err)
	}
	fu, err := Query(ctx, c, a.base.Add(50*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	la, _ := a.st.Lifetime(ctx, usage.Filter{}) // the counted interfaces
	lb, _ := b.st.Lifetime(ctx, usage.Filter{})
	if fu.Lifetime != la.Add(lb) || fu.Lifetime.Rx == 0 {
		t.Errorf("fleet lifetime %+v, want %+v", fu.Lifetime, la.Add(lb))
	}
}

// A device that moves to another zone has its days regrouped in the new
// zone, in the same transaction as its next batch.
func TestZoneChangeRegroupsDays(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	d := newDevice(t, url, "Asia/Tokyo")
	d.traffic(t, 0, 3000)
	mustSync(t, d)
	d.sy = New(d.st, Options{URL: url, Device: Device{ID: d.id, Hostname: "moved", OSType: "Linux", TimeZone: "America/Los_Angeles"}, BatchSize: 100})
	mustSync(t, d) // the device row changed: no buckets, days regrouped
	sameBuckets(t, url, d)
	fd, err := QueryDays(ctx, pgtest.Connect(t, url), usage.Date{Year: 2026, Month: 2, Day: 28}, usage.Date{Year: 2026, Month: 3, Day: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(fd.Devices) != 1 || len(fd.Devices[0].Days) == 0 || fd.Devices[0].Days[0].Date != (usage.Date{Year: 2026, Month: 2, Day: 28}) {
		t.Errorf("days after the move: %+v", fd.Devices)
	}
}
