// Package redact masks the passwords in database connection strings so they
// can be shown in logs, errors and command output. It is a leaf: config
// (which reads the secrets), sync (which reports connection errors) and the
// CLI use it without depending on one another.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces every secret PacketBuddy prints.
const Mask = "****"

var (
	// queryPassword is a password given as a URL parameter (pgx accepts
	// ?password=...).
	queryPassword = regexp.MustCompile(`(?i)([?&]password=)[^&#\s]*`)
	// dsnPassword is a password in a libpq key=value string
	// ("host=db user=pb password='s3 cret'").
	dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'&]+)`)
)

// URL masks the password in a PostgreSQL connection string:
// "postgres://user:secret@host/db" becomes "postgres://user:****@host/db",
// and password=... parameters and key=value fields become password=****. A
// string without a password is returned as it is.
//
// It works on the text rather than through net/url: a password with an
// unescaped "/" or "@" makes url.Parse fail or split in the wrong place, and
// the password must be masked exactly then.
func URL(s string) string {
	if s == "" {
		return s
	}
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		// The user information ends at the last "@" before any query or
		// fragment; the password is what follows its first ":".
		end := len(rest)
		if j := strings.IndexAny(rest, "?#"); j >= 0 {
			end = j
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				rest = rest[:colon+1] + Mask + rest[at:]
			}
		}
		s = s[:i+3] + rest
	}
	return Params(s)
}

// Params masks password=... URL parameters and key=value fields anywhere in
// s, which may be any text (an error message quoting part of a file).
func Params(s string) string {
	s = queryPassword.ReplaceAllString(s, "${1}"+Mask)
	return dsnPassword.ReplaceAllString(s, "${1}"+Mask)
}

// ParamPasswords returns the values of the password key=value fields, then
// of the password URL parameters, found in s (quotes removed), so a caller
// can mask them wherever else they appear.
func ParamPasswords(s string) []string {
	var out []string
	for _, m := range dsnPassword.FindAllStringSubmatch(s, -1) {
		out = append(out, strings.Trim(m[2], "'"))
	}
	for _, m := range queryPassword.FindAllStringIndex(s, -1) {
		if _, after, ok := strings.Cut(s[m[0]:m[1]], "="); ok {
			out = append(out, after)
		}
	}
	return out
}

// UserPassword returns the password in a URL's user information
// ("postgres://user:secret@host" gives "secret"), or "".
func UserPassword(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	rest := u[i+3:]
	end := len(rest)
	if j := strings.IndexAny(rest, "?#"); j >= 0 {
		end = j
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return ""
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return ""
	}
	return rest[colon+1 : at]
}
