// Package sync is the optional PostgreSQL fleet sync: every device uploads
// its coarse (15-minute) buckets, keyed by (device, interface, UTC bucket),
// with ABSOLUTE values, so a retry, a crash between the remote COMMIT and the
// local acknowledgement, or re-sending everything can never inflate a total.
// The local store is the outbox (store.Changes / store.AckChanges); the
// Syncer connects only when there is something to send and closes the
// connection after each round, so a serverless database can suspend.
//
// Fleet reads (today, month, lifetime per device and for all devices, each
// device's days in its own time zone) are in fleet.go.
//
// The package is named sync after its directory; importers that also use
// the standard library's sync import it as pbsync.
package sync

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/redact"
)

// ErrBadURL wraps every problem with the database URL itself.
var ErrBadURL = errors.New("sync.database_url is not a valid PostgreSQL URL")

// PrepareURL checks raw and returns it with sslmode=require added when it
// names no sslmode and the host is not local (localhost, 127.0.0.1, ::1 or a
// unix socket). Errors never contain the password.
func PrepareURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%w: empty", ErrBadURL)
	}
	out := raw
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", fmt.Errorf("%w: %s", ErrBadURL, redactErr(err, raw))
		}
		q := u.Query()
		if q.Get("sslmode") == "" && !localHost(hostOf(u.Hostname(), q.Get("host"))) {
			if u.RawQuery != "" {
				out += "&sslmode=require"
			} else {
				out += "?sslmode=require"
			}
			if u.Fragment != "" || strings.Contains(raw, "#") {
				return "", fmt.Errorf("%w: unexpected # in the URL (escape it as %%23 in a password)", ErrBadURL)
			}
		}
	} else if strings.Contains(raw, "://") {
		return "", fmt.Errorf("%w: the scheme must be postgres:// or postgresql://, got %q", ErrBadURL, redact.URL(raw[:strings.Index(raw, "://")]))
	} else {
		if !strings.Contains(raw, "=") {
			return "", fmt.Errorf("%w: want postgres://user:password@host/db or host=... key=value fields", ErrBadURL)
		}
		if !strings.Contains(raw, "sslmode") && !localHost(dsnField(raw, "host")) {
			out += " sslmode=require"
		}
	}
	if _, err := pgx.ParseConfig(out); err != nil {
		return "", fmt.Errorf("%w: %s", ErrBadURL, redactErr(err, raw))
	}
	return out, nil
}

func hostOf(h, param string) string {
	if h == "" {
		return param
	}
	return h
}

// localHost reports whether h needs no TLS: loopback or a unix socket (a
// path, or no host at all, which libpq takes as the default socket).
func localHost(h string) bool {
	h = strings.Trim(h, "[]")
	switch {
	case h == "", h == "localhost", h == "127.0.0.1", h == "::1", strings.HasPrefix(h, "/"):
		return true
	}
	return false
}

func dsnField(dsn, key string) string {
	for _, f := range strings.Fields(dsn) {
		if k, v, ok := strings.Cut(f, "="); ok && strings.TrimSpace(k) == key {
			return strings.Trim(v, "'")
		}
	}
	return ""
}

// redactErr is err's text with the URL and its password masked.
func redactErr(err error, raw string) string {
	s := err.Error()
	if raw != "" {
		s = strings.ReplaceAll(s, raw, redact.URL(raw))
	}
	if u, e := url.Parse(raw); e == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && len(p) >= 3 {
			s = strings.ReplaceAll(s, p, "****")
		}
	}
	return redact.URL(s)
}
