package sync

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
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
	admin := adminConn(t)
	role := randName("pbtest_role_")
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"REVOKE CREATE ON SCHEMA public FROM " + role,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, baseURL())
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP OWNED BY "+role)
		c.Exec(ctx, "DROP ROLE "+role)
	})
	cfg, _ := pgx.ParseConfig(url)
	roleURL := strings.Replace(url, cfg.User+"@", role+":s3cretpw@", 1)
	d := newDevice(t, roleURL, "UTC")
	badCase(t, d, "lacks a permission: permission denied for schema", ErrPermission)
}

func TestRemoteSchemaNewer(t *testing.T) {
	url, schema := testSchema(t)
	admin := adminConn(t)
	if _, err := admin.Exec(ctx, "CREATE TABLE "+schema+".pb_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO "+schema+".pb_schema_version (version) VALUES (1), (99)"); err != nil {
		t.Fatal(err)
	}
	d := newDevice(t, url, "UTC")
	badCase(t, d, "the remote database has schema 99, this pb knows 2: upgrade pb", ErrRemoteNewer)
	if st := d.sy.Status(ctx); st.RemoteSchema != 99 {
		t.Errorf("remote schema in status = %d", st.RemoteSchema)
	}
}
