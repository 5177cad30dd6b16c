package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/store"
)

// Store is what the Syncer needs of the local database (*store.Store).
type Store interface {
	Changes(ctx context.Context, limit int) ([]store.Change, error)
	AckChanges(ctx context.Context, seq int64) error
	PendingChanges(ctx context.Context) (int64, error)
	SyncInterfaces(ctx context.Context) ([]store.SyncInterface, error)
	StartChangeTracking(ctx context.Context) error
	SetSyncStatus(ctx context.Context, status string) error
}

// Device describes this device in the remote devices table.
type Device struct {
	ID       string // store.DeviceID
	Hostname string
	OSType   string
	TimeZone string // IANA name; the device's days in fleet queries are days of this zone
}

// Options configure a Syncer.
type Options struct {
	URL       string        // config.Sync.DatabaseURL, unprepared (PrepareURL is applied)
	Interval  time.Duration // between rounds; default 60 s
	Device    Device
	BatchSize int           // buckets per remote transaction; default 20000
	RetryBase time.Duration // first retry delay after a failure; default 5 s
	RetryMax  time.Duration // longest retry delay; default 15 min (at least Interval)
	// ConnectTimeout bounds connecting; default 30 s.
	ConnectTimeout time.Duration
	// BatchTimeout bounds the remote work of each batch (and the schema
	// check), so a server that stops answering mid-round (no RST, a
	// partition) fails the round instead of holding it; default 2 min.
	BatchTimeout time.Duration
	// MigrateTimeout bounds a remote schema migration, which may back-fill
	// rollups from every bucket of the fleet (minutes on tens of millions
	// of rows); default 1 h. The version check before it is bounded by
	// BatchTimeout.
	MigrateTimeout time.Duration
	Logger         *slog.Logger
}

// Status is what pb sync status and /api/health show. It never holds the
// URL or its password.
type Status struct {
	Enabled       bool      `json:"enabled"`
	LastAttempt   time.Time `json:"last_attempt,omitzero"`
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
	Failures      int       `json:"consecutive_failures"`
	NextAttempt   time.Time `json:"next_attempt,omitzero"`
	Pending       int64     `json:"pending_rows"`
	RemoteSchema  int       `json:"remote_schema_version,omitempty"`
	SchemaVersion int       `json:"schema_version"` // this build's
	RowsSent      int64     `json:"rows_sent"`      // by this process
}

// Result is one round's outcome.
type Result struct {
	Connected bool  // false: there was nothing to send
	Rows      int64 // buckets upserted
}

// Syncer uploads the local outbox to PostgreSQL. Run it in its own
// goroutine: local flushes never wait for it.
type Syncer struct {
	st     Store
	opt    Options
	url    string
	urlErr error
	log    *slog.Logger

	round  gosync.Mutex // one round at a time (Run and SyncNow)
	sentFP uint64       // fingerprint of the device + interfaces last sent
	sentAt time.Time    // when the device row was last written

	mu     gosync.Mutex
	status Status

	kick chan struct{}

	// afterCommit, when set (tests), runs after the remote COMMIT and
	// before the local acknowledgement; an error abandons the round there,
	// as a crash at that moment would.
	afterCommit func(conn *pgx.Conn) error
	execMode    pgx.QueryExecMode // execMode; benchmarks compare the others
}

// New returns a Syncer for st. A bad URL is not an error here: every round
// reports it (in the log and Status), and local counting goes on.
func New(st Store, opt Options) *Syncer {
	if opt.Interval <= 0 {
		opt.Interval = 60 * time.Second
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 20000
	}
	if opt.RetryBase <= 0 {
		opt.RetryBase = 5 * time.Second
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = 15 * time.Minute
	}
	opt.RetryMax = max(opt.RetryMax, opt.RetryBase)
	if opt.ConnectTimeout <= 0 {
		opt.ConnectTimeout = 30 * time.Second
	}
	if opt.BatchTimeout <= 0 {
		opt.BatchTimeout = 2 * time.Minute
	}
	if opt.MigrateTimeout <= 0 {
		opt.MigrateTimeout = time.Hour
	}
	if opt.Device.TimeZone == "" || opt.Device.TimeZone == "Local" {
		opt.Device.TimeZone = "UTC"
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Syncer{st: st, opt: opt, log: log, kick: make(chan struct{}, 1), execMode: execMode}
	s.url, s.urlErr = PrepareURL(opt.URL)
	s.status = Status{Enabled: true, SchemaVersion: SchemaVersion}
	return s
}

// Status returns the current status with a fresh pending count.
func (s *Syncer) Status(ctx context.Context) Status {
	n, err := s.st.PendingChanges(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.status.Pending = n
	}
	return s.status
}

// Kick asks Run for a round now (non-blocking).
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run syncs every Interval until ctx ends, backing off exponentially with
// jitter while rounds fail. It returns nil when ctx ends.
func (s *Syncer) Run(ctx context.Context) error {
	if err := s.st.StartChangeTracking(ctx); err != nil {
		s.log.Error("sync: cannot start change tracking; sync is off", "err", err)
		return err
	}
	if s.urlErr != nil {
		s.fail(ctx, s.urlErr, 0)
		s.log.Error("sync disabled until the URL is fixed", "err", s.urlErr)
		<-ctx.Done()
		return nil
	}
	timer := time.NewTimer(time.Second) // first round soon after start
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-s.kick:
		}
		_, err := s.SyncNow(ctx)
		delay := s.opt.Interval
		if err != nil && ctx.Err() == nil {
			s.mu.Lock()
			n := s.status.Failures
			s.mu.Unlock()
			delay = s.backoff(n)
			s.log.Warn("sync failed; local counting goes on", "err", err, "retry_in", delay.Round(time.Second))
		}
		s.mu.Lock()
		s.status.NextAttempt = time.Now().Add(delay)
		s.mu.Unlock()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(delay)
	}
}

// backoff is the delay after n consecutive failures: RetryBase doubled per
// failure up to RetryMax, with full jitter in [d/2, d).
func (s *Syncer) backoff(n int) time.Duration {
	d := s.opt.RetryBase
	for i := 1; i < n && d < s.opt.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.opt.RetryMax)
	return d/2 + rand.N(d/2+1)
}

// SyncNow runs one round: when there are changed buckets (or the device or
// its interfaces changed, or the device row is an hour old), it connects,
// migrates the remote schema if needed, upserts them in batches of
// BatchSize (each batch one transaction, acknowledged locally after its
// COMMIT) and disconnects.
func (s *Syncer) SyncNow(ctx context.Context) (Result, error) {
	s.round.Lock()
	defer s.round.Unlock()
	s.mu.Lock()
	s.status.LastAttempt = time.Now()
	s.mu.Unlock()
	var res Result
	if s.urlErr != nil {
		return res, s.fail(ctx, s.urlErr, 0)
	}
	res, err := s.round1(ctx)
	if err != nil {
		return res, s.fail(ctx, err, res.Rows)
	}
	s.mu.Lock()
	s.status.LastSuccess = time.Now()
	s.status.Failures = 0
	s.status.LastError = ""
	s.status.RowsSent += res.Rows
	s.mu.Unlock()
	if res.Connected {
		s.save(ctx)
		s.log.Debug("sync done", "rows", res.Rows)
	}
	return res, nil
}

func (s *Syncer) fail(ctx context.Context, err error, rows int64) error {
	err = describe(err, s.opt.URL)
	s.mu.Lock()
	s.status.Failures++
	s.status.LastError = err.Error()
	s.status.LastErrorAt = time.Now()
	s.status.RowsSent += rows
	s.mu.Unlock()
	s.save(ctx)
	return err
}

// save writes the status to the local store, for pb sync status.
func (s *Syncer) save(ctx context.Context) {
	st := s.Status(ctx)
	b, _ := json.Marshal(st)
	if err := s.st.SetSyncStatus(context.WithoutCancel(ctx), string(b)); err != nil {
		s.log.Debug("sync: save status", "err", err)
	}
}

func (s *Syncer) round1(ctx context.Context) (Result, error) {
	var res Result
	changes, err := s.st.Changes(ctx, s.opt.BatchSize)
	if err != nil {
		return res, err
	}
	ifaces, err := s.st.SyncInterfaces(ctx)
	if err != nil {
		return res, err
	}
	fp := fingerprint(s.opt.Device, ifaces)
	if len(changes) == 0 && fp == s.sentFP && time.Since(s.sentAt) < time.Hour {
		return res, nil // nothing to send: no connection, the server may sleep
	}
	cctx, cancel := context.WithTimeout(ctx, s.opt.ConnectTimeout)
	conn, err := connect(cctx, s.url, s.execMode)
	cancel()
	if err != nil {
		return res, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	res.Connected = true
	v, err := migrate(ctx, conn, s.opt.BatchTimeout, s.opt.MigrateTimeout)
	s.mu.Lock()
	s.status.RemoteSchema = max(v, s.status.RemoteSchema)
	if err == nil {
		s.status.RemoteSchema = SchemaVersion
	}
	s.mu.Unlock()
	if err != nil {
		return res, err
	}
	for first := true; first || len(changes) > 0; first = false {
		n, err := s.send(ctx, conn, ifaces, changes)
		if err != nil {
			return res, err
		}
		res.Rows += n
		s.sentFP, s.sentAt = fp, time.Now()
		if len(changes) < s.opt.BatchSize {
			break
		}
		if changes, err = s.st.Changes(ctx, s.opt.BatchSize); err != nil {
			return res, err
		}
		if ifaces, err = s.st.SyncInterfaces(ctx); err != nil { // a batch may have created an interface
			return res, err
		}
		fp = fingerprint(s.opt.Device, ifaces)
	}
	return res, nil
}

// send upserts the device, its interfaces and changes in one remote
// transaction and, after its COMMIT, acknowledges changes locally.
func (s *Syncer) send(ctx context.Context, conn *pgx.Conn, ifaces []store.SyncInterface, changes []store.Change) (int64, error) {
	ack := ctx // the local acknowledgement is not bounded by the remote timeout
	ctx, cancel := context.WithTimeout(ctx, s.opt.BatchTimeout)
	defer cancel()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// On a large pb_usage the upsert's estimated cost passes
	// jit_above_cost, and compiling it took 1.45 s of a 1.58 s statement
	// (EXPLAIN ANALYZE, 20,000 buckets into 31 M rows). SET LOCAL ends with
	// the transaction, so nothing is left on a pooled server connection.
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return 0, err
	}
	d := s.opt.Device
	var dev int32
	var oldZone string
	// UPDATE first: an INSERT ... ON CONFLICT would draw an identity value
	// on every round, and a fleet syncing each minute would exhaust the
	// integer ids within years. The row lock serialises two syncs of one
	// device; the old zone tells whether its days must be regrouped.
	err = tx.QueryRow(ctx, `WITH old AS (SELECT id, time_zone FROM pb_devices WHERE device_id = $1 FOR UPDATE)
		UPDATE pb_devices d SET hostname = $2, os_type = $3, time_zone = $4, last_seen = now()
		FROM old WHERE d.id = old.id RETURNING d.id, old.time_zone`, d.ID, d.Hostname, d.OSType, d.TimeZone).Scan(&dev, &oldZone)
	if errors.Is(err, pgx.ErrNoRows) {
		oldZone = d.TimeZone
		err = tx.QueryRow(ctx, `INSERT INTO pb_devices (device_id, hostname, os_type, time_zone)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (device_id) DO UPDATE SET hostname = EXCLUDED.hostname, os_type = EXCLUDED.os_type,
				time_zone = EXCLUDED.time_zone, last_seen = now()
			RETURNING id`, d.ID, d.Hostname, d.OSType, d.TimeZone).Scan(&dev)
	}
	if err != nil {
		return 0, fmt.Errorf("upsert device: %w", err)
	}
	ids := make([]int64, len(ifaces))
	names, macs, kinds := make([]string, len(ifaces)), make([]string, len(ifaces)), make([]string, len(ifaces))
	counted := make([]bool, len(ifaces))
	for i, f := range ifaces {
		ids[i], names[i], macs[i], kinds[i], counted[i] = f.ID, f.Name, f.MAC, f.Kind, f.Counted
	}
	if _, err := tx.Exec(ctx, `INSERT INTO pb_interfaces (device, iface, name, mac, kind, counted)
		SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::boolean[])
		ON CONFLICT (device, iface) DO UPDATE SET name = EXCLUDED.name, mac = EXCLUDED.mac,
			kind = EXCLUDED.kind, counted = EXCLUDED.counted
		WHERE (pb_interfaces.name, pb_interfaces.mac, pb_interfaces.kind, pb_interfaces.counted)
			IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.mac, EXCLUDED.kind, EXCLUDED.counted)`,
		dev, ids, names, macs, kinds, counted); err != nil {
		return 0, fmt.Errorf("upsert interfaces: %w", err)
	}
	if oldZone != d.TimeZone {
		// The device moved to another zone: its days are regrouped from
		// its buckets, once.
		if _, err := tx.Exec(ctx, `DELETE FROM pb_days WHERE device = $1`, dev); err != nil {
			return 0, fmt.Errorf("regroup days in the new zone: %w", err)
		}
		if _, err := tx.Exec(ctx, regroupDays, dev, d.TimeZone); err != nil {
			return 0, fmt.Errorf("regroup days in the new zone: %w", err)
		}
	}
	var n int64
	if len(changes) > 0 {
		// Created in this transaction and dropped by its COMMIT: through a
		// pooler in transaction mode the next transaction may run on
		// another server connection, so nothing may outlive one.
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE pb_stage (
			ts timestamptz, iface bigint, rx bigint, tx bigint) ON COMMIT DROP`); err != nil {
			return 0, fmt.Errorf("create staging table: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"pb_stage"}, []string{"ts", "iface", "rx", "tx"},
			pgx.CopyFromSlice(len(changes), func(i int) ([]any, error) {
				c := changes[i]
				return []any{c.Bucket, c.IfaceID, c.Rx, c.Tx}, nil
			})); err != nil {
			return 0, fmt.Errorf("copy buckets: %w", err)
		}
		first, last := changes[0].Bucket, changes[0].Bucket
		for _, c := range changes {
			first, last = minTime(first, c.Bucket), maxTime(last, c.Bucket)
		}
		if _, err := tx.Exec(ctx, upsertBuckets, dev, first, last); err != nil {
			return 0, fmt.Errorf("upsert buckets: %w", err)
		}
		if _, err := tx.Exec(ctx, updateDays, dev, d.TimeZone); err != nil {
			return 0, fmt.Errorf("update day totals: %w", err)
		}
		n = int64(len(changes))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	if s.afterCommit != nil {
		if err := s.afterCommit(conn); err != nil {
			return 0, err
		}
	}
	if len(changes) > 0 {
		if err := s.st.AckChanges(ack, changes[len(changes)-1].Seq); err != nil {
			return n, err
		}
	}
	return n, nil
}

// upsertBuckets writes the staged buckets ($1 the device) as ABSOLUTE
// values: new buckets are plainly inserted and changed ones updated, which
// took half the time of INSERT ... ON CONFLICT DO UPDATE; unchanged ones
// are not written. No other writer of this device's rows runs meanwhile:
// the transaction holds the device row's lock. $2 and $3 are the first and
// last bucket staged: PostgreSQL joins the stage with the device's rows in
// that range only (a first sync's batches come in time order, so a batch
// does not read the device's earlier batches).
const upsertBuckets = `
WITH s AS (
	SELECT s.ts, s.iface, s.rx, s.tx, u.device IS NULL AS new
	FROM pb_stage s LEFT JOIN pb_usage u ON u.device = $1 AND u.ts = s.ts AND u.iface = s.iface
		AND u.ts >= $2 AND u.ts <= $3
	WHERE u.device IS NULL OR u.rx <> s.rx OR u.tx <> s.tx
), ins AS (
	INSERT INTO pb_usage (device, ts, iface, rx, tx)
	SELECT $1, ts, iface, rx, tx FROM s WHERE new
)
UPDATE pb_usage u SET rx = s.rx, tx = s.tx FROM s
WHERE NOT s.new AND u.device = $1 AND u.ts = s.ts AND u.iface = s.iface`

// updateDays recomputes, from the buckets as they now are, every local day
// ($2 the device's zone) that a staged bucket falls in, and moves the
// lifetimes by what those days changed. Recomputing (rather than adding
// each bucket's new - old) means a re-sent or retried batch can never make
// the days drift from the buckets, and a re-send of everything (pb sync now
// --all) repairs any day that did. Each day is an index range scan of the
// device's buckets: the LATERAL makes it one (joined flat, on tables not
// yet analysed, PostgreSQL hashed all of the device's buckets per batch
// and the upload ran at 8k rows/s instead of 60k).
const updateDays = `
WITH t AS (
	SELECT DISTINCT (ts AT TIME ZONE $2::text)::date AS day FROM pb_stage
), n AS (
	SELECT t.day, u.iface, u.rx, u.tx FROM t CROSS JOIN LATERAL (
		SELECT iface, sum(rx)::bigint AS rx, sum(tx)::bigint AS tx FROM pb_usage
		WHERE device = $1 AND ts >= (t.day::timestamp AT TIME ZONE $2::text) AND ts < ((t.day + 1)::timestamp AT TIME ZONE $2::text)
		GROUP BY iface) u
), o AS (
	SELECT n.day, n.iface, n.rx, n.tx, n.rx - coalesce(x.rx, 0) AS drx, n.tx - coalesce(x.tx, 0) AS dtx
	FROM n LEFT JOIN pb_days x ON x.device = $1 AND x.day = n.day AND x.iface = n.iface
	WHERE x.device IS NULL OR x.rx <> n.rx OR x.tx <> n.tx
), d AS (
	INSERT INTO pb_days (device, day, iface, rx, tx)
	SELECT $1, day, iface, rx, tx FROM o
	ON CONFLICT (device, day, iface) DO UPDATE SET rx = EXCLUDED.rx, tx = EXCLUDED.tx
)
INSERT INTO pb_lifetime (device, iface, rx, tx)
SELECT $1, iface, sum(drx), sum(dtx) FROM o GROUP BY iface
ON CONFLICT (device, iface) DO UPDATE SET rx = pb_lifetime.rx + EXCLUDED.rx, tx = pb_lifetime.tx + EXCLUDED.tx`

// regroupDays groups device $1's buckets into days of zone $2 (after its
// old days were deleted).
const regroupDays = `
INSERT INTO pb_days (device, day, iface, rx, tx)
SELECT $1, (ts AT TIME ZONE $2::text)::date, iface, sum(rx), sum(tx) FROM pb_usage WHERE device = $1 GROUP BY 2, 3`

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func fingerprint(d Device, ifaces []store.SyncInterface) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%q %q %q %q\n", d.ID, d.Hostname, d.OSType, d.TimeZone)
	for _, f := range ifaces {
		fmt.Fprintf(h, "%d %q %q %q %t\n", f.ID, f.Name, f.MAC, f.Kind, f.Counted)
	}
	return h.Sum64()
}

// LoadStatus decodes a status saved by a Syncer (store.SyncState).
func LoadStatus(doc string) (Status, error) {
	var st Status
	if doc == "" {
		return st, nil
	}
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return st, errors.New("saved sync status is unreadable")
	}
	return st, nil
}
