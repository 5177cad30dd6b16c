package sync

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/packetbuddy/pb/internal/pgtest"
)

func TestPrepareURL(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"postgres://u:p@db.example.com/pb", "postgres://u:p@db.example.com/pb?sslmode=require", ""},
		{"postgresql://u:p@db.example.com/pb?application_name=x", "postgresql://u:p@db.example.com/pb?application_name=x&sslmode=require", ""},
		{"postgres://u:p@db.example.com/pb?sslmode=verify-full", "postgres://u:p@db.example.com/pb?sslmode=verify-full", ""},
		{"postgres://u@localhost/pb", "postgres://u@localhost/pb", ""},
		{"postgres://u@127.0.0.1:5432/pb", "postgres://u@127.0.0.1:5432/pb", ""},
		{"postgres://u@[::1]/pb", "postgres://u@[::1]/pb", ""},
		{"postgres:///pb?host=/var/run/postgresql", "postgres:///pb?host=/var/run/postgresql", ""},
		{"host=db.example.com user=u password=secret dbname=pb", "host=db.example.com user=u password=secret dbname=pb sslmode=require", ""},
		{"host=/tmp user=u dbname=pb", "host=/tmp user=u dbname=pb", ""},
		// What Neon's console shows, pooled and direct, and Supabase's Supavisor in transaction mode.
		{"postgresql://neondb_owner:npg_AbC123dEf@ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require",
			"postgresql://neondb_owner:npg_AbC123dEf@ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require", ""},
		{"postgresql://neondb_owner:npg_AbC123dEf@ep-cool-darkness-a1b2c3d4.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require",
			"postgresql://neondb_owner:npg_AbC123dEf@ep-cool-darkness-a1b2c3d4.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require", ""},
		{"postgresql://postgres.abcdefghijklmnopqrst:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
			"postgresql://postgres.abcdefghijklmnopqrst:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?sslmode=require", ""},
		{"postgres://u:p@db.example.com/pb?channel_binding=sometimes", "", "unknown channel_binding value"},
		{"", "", "empty"},
		{"mysql://u:secretpw@h/db", "", "scheme"},
		{"postgres://u:secretpw@h:notaport/db", "", "not a valid"},
		{"just some words", "", "want postgres://"},
	} {
		got, err := PrepareURL(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrBadURL) {
				t.Errorf("PrepareURL(%q) error = %v, want one with %q", c.in, err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), "secretpw") {
				t.Errorf("PrepareURL(%q) error shows the password: %v", c.in, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("PrepareURL(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// Neon's URL parameters are the driver's, not server settings: sent in the
// startup message, a pooler refuses them ("unsupported startup parameter").
func TestNeonURLParametersStayInTheClient(t *testing.T) {
	u, err := PrepareURL("postgresql://neondb_owner:npg_AbC123dEf@ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ChannelBinding != "require" || cfg.TLSConfig == nil || len(cfg.RuntimeParams) != 0 {
		t.Errorf("channel binding %q, TLS %v, startup parameters %v; want require, TLS, none",
			cfg.ChannelBinding, cfg.TLSConfig != nil, cfg.RuntimeParams)
	}
}

// badCase runs one round that must fail with want in the message, then
// checks that local counting is unaffected and the status says why.
func badCase(t *testing.T, d *device, want string, is error) {
	t.Helper()
	d.traffic(t, 0, 30)
	before := pending(t, d)
	_, err := d.sy.SyncNow(ctx)
	if err == nil || !strings.Contains(err.Error(), want) || (is != nil && !errors.Is(err, is)) {
		t.Fatalf("error = %v, want one with %q (%v)", err, want, is)
	}
	t.Logf("message: %v", err)
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("error shows the password: %v", err)
	}
	d.traffic(t, 30, 30) // counting goes on
	if got := d.local(t); got.Rx == 0 || pending(t, d) < before {
		t.Errorf("local counting affected: %+v, pending %d < %d", got, pending(t, d), before)
	}
	st := d.sy.Status(ctx)
	if st.LastError != err.Error() || st.Failures != 1 {
		t.Errorf("status = %+v", st)
	}
	saved, _, _ := d.st.SyncState(ctx)
	if loaded, _ := LoadStatus(saved); loaded.LastError != err.Error() {
		t.Errorf("saved status = %s", saved)
	}
}

func TestMalformedURL(t *testing.T) {
	d := newDevice(t, "postgres://pb:s3cretpw@db.example.com:99999/pb", "UTC")
	badCase(t, d, "not a valid PostgreSQL URL", ErrBadURL)
}

// fakeAuthServer answers every login with "password authentication
// failed", as a server with password auth does for a wrong password (the
// test server trusts local connections, so it cannot).
func fakeAuthServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				be := pgproto3.NewBackend(c, c)
				msg, err := be.ReceiveStartupMessage()
				if err != nil {
					return
				}
				if _, ok := msg.(*pgproto3.SSLRequest); ok {
					c.Write([]byte("N"))
					if _, err := be.ReceiveStartupMessage(); err != nil {
						return
					}
				}
				be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "pb"`})
				be.Flush()
			}()
		}
	}()
	return ln.Addr().String()
}

func TestWrongPassword(t *testing.T) {
	addr := fakeAuthServer(t)
	d := newDevice(t, "postgres://pb:s3cretpw@"+addr+"/pb?sslmode=disable", "UTC")
	badCase(t, d, "refused the login: password authentication failed", ErrAuth)
}

func TestNoCreatePermission(t *testing.T) {
	url, schema := testSchema(t)
	// The role logs in directly: a pooler knows only its own users. Its
	// database is the test's, whose tables are in schema.
	url = pgtest.Direct(t, url)
	admin := adminConn(t)
	role := randName("pbtest_role_")
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, u := range []string{url, baseURL()} {
			if c, err := pgx.Connect(ctx, u); err == nil {
				c.Exec(ctx, "DROP OWNED BY "+role)
				c.Close(ctx)
			}
		}
		if _, err := admin.Exec(ctx, "DROP ROLE "+role); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	db := pgtest.Connect(t, url)
	for _, q := range []string{
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"REVOKE CREATE ON SCHEMA public FROM " + role,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _ := pgx.ParseConfig(url)
	roleURL := strings.Replace(url, cfg.User+"@", role+":s3cretpw@", 1)
	d := newDevice(t, roleURL, "UTC")
	badCase(t, d, "lacks a permission: permission denied for schema", ErrPermission)
}

func TestRemoteSchemaNewer(t *testing.T) {
	url, schema := testSchema(t)
	if _, err := pgtest.Connect(t, url).Exec(ctx, "CREATE TABLE "+schema+".pb_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO "+schema+".pb_schema_version (version) VALUES (1), (99)"); err != nil {
		t.Fatal(err)
	}
	d := newDevice(t, url, "UTC")
	badCase(t, d, "the remote database has schema 99, this pb knows 2: upgrade pb", ErrRemoteNewer)
	if st := d.sy.Status(ctx); st.RemoteSchema != 99 {
		t.Errorf("remote schema in status = %d", st.RemoteSchema)
	}
}

// A pooler's protocol errors carry SQLSTATE 08P01 and no source file (the
// server names one in every error): the two it is known to send get their
// own advice, any other the generic one; the server's own 08P01 stays as
// it is.
func TestProtocolErrorsFromPoolers(t *testing.T) {
	for _, c := range []struct {
		name string
		pe   *pgconn.PgError
		want string
		is   error
	}{
		{"statement mode", &pgconn.PgError{Severity: "ERROR", Code: "08P01", Message: "transaction blocks not allowed in statement pooling mode"},
			"the sync database URL reaches a connection pooler in statement mode, which cannot run pb's transactions (transaction blocks not allowed in statement pooling mode): use its transaction-mode URL (PgBouncer: pool_mode = transaction or session) or the database's direct URL in sync.database_url / PB_DATABASE_URL",
			ErrStatementPooler},
		{"startup parameter", &pgconn.PgError{Severity: "FATAL", Code: "08P01", Message: "unsupported startup parameter: search_path"},
			"the connection pooler refuses a parameter of the sync database URL (unsupported startup parameter: search_path): remove it from sync.database_url / PB_DATABASE_URL; pb needs none (for tables outside public, ALTER ROLE <user> SET search_path = <schema>)",
			ErrStartupParameter},
		{"other pooler wording", &pgconn.PgError{Severity: "FATAL", Code: "08P01", Message: "prepared statements are not supported in this pool mode"},
			"the connection pooler in front of the sync database refused pb's protocol (prepared statements are not supported in this pool mode): use its transaction-mode URL or the database's direct URL in sync.database_url / PB_DATABASE_URL",
			ErrPoolerProtocol},
		{"server", &pgconn.PgError{Severity: "FATAL", Code: "08P01", Message: "invalid frontend message type 0", File: "postgres.c", Line: 4843, Routine: "SocketBackend"},
			"sync database error: FATAL: invalid frontend message type 0 (SQLSTATE 08P01)",
			nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := describe(fmt.Errorf("upload: %w", c.pe), "postgres://pb:s3cretpw@db.example.com/pb")
			if err.Error() != c.want {
				t.Errorf("message\n got %s\nwant %s", err, c.want)
			}
			if !errors.Is(err, c.pe) {
				t.Errorf("the PostgreSQL error is not kept: %v", err)
			}
			for _, kind := range []error{ErrStatementPooler, ErrStartupParameter, ErrPoolerProtocol} {
				if errors.Is(err, kind) != (kind == c.is) {
					t.Errorf("errors.Is(err, %q) = %v", kind, !(kind == c.is))
				}
			}
		})
	}
}

// A server error with detail and hint, and a connection error over several
// hosts (pgx joins them with newlines), are each one line.
func TestErrorsAreOneLine(t *testing.T) {
	raw := "postgres://pb:s3cretpw@db.example.com/pb"
	tests := []struct {
		err  error
		want string
	}{
		{&pgconn.PgError{Severity: "ERROR", Code: "23505", Message: "duplicate key value violates unique constraint \"pb_usage_pkey\"",
			Detail: "Key (device, iface, ts)=(a, eth0, 2026-01-01)\nalready exists.", Hint: "check the\nkey"},
			`sync database error: ERROR: duplicate key value violates unique constraint "pb_usage_pkey"; Key (device, iface, ts)=(a, eth0, 2026-01-01) already exists.; hint: check the key (SQLSTATE 23505)`},
		{errors.New("failed to connect to `user=pb database=pb`:\n\t10.0.0.1:5432 (db.example.com): server error\n\t10.0.0.2:5432 (db.example.com): server error"),
			"sync: failed to connect to `user=pb database=pb`: 10.0.0.1:5432 (db.example.com): server error 10.0.0.2:5432 (db.example.com): server error"},
	}
	for _, tc := range tests {
		if got := describe(tc.err, raw).Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
