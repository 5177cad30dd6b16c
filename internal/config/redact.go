package config

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

const (
	// mask replaces every secret PacketBuddy prints.
	mask = "****"
	// examplePassword is the placeholder in the URLs that messages show as
	// examples; it is not masked.
	examplePassword = "password"
	// minSecretLen is the shortest password that scrub replaces wherever it
	// appears; see secretsIn.
	minSecretLen = 4
)

var (
	// queryPassword is a password given as a URL parameter (pgx accepts
	// ?password=...).
	queryPassword = regexp.MustCompile(`(?i)([?&]password=)[^&#\s]*`)
	// dsnPassword is a password in a libpq key=value string
	// ("host=db user=pb password='s3 cret'").
	dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'&]+)`)
)

// RedactURL masks the password in a PostgreSQL connection string so it can be
// shown: "postgres://user:secret@host/db" becomes
// "postgres://user:****@host/db", and password=... parameters and key=value
// fields become password=****. A string without a password is returned as
// it is.
//
// It works on the text rather than through net/url: a password with an
// unescaped "/" or "@" makes url.Parse fail or split in the wrong place, and
// the password must be masked exactly then.
func RedactURL(s string) string {
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
				rest = rest[:colon+1] + mask + rest[at:]
			}
		}
		s = s[:i+3] + rest
	}
	s = queryPassword.ReplaceAllString(s, "${1}"+mask)
	s = dsnPassword.ReplaceAllString(s, "${1}"+mask)
	return s
}

// urlInText finds connection URLs with a password inside arbitrary text, such
// as a TOML parser message quoting part of a broken file.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"']*`)

// scrub masks everything in msg that could be part of a secret: connection
// URLs with user information, password parameters, and any of the given
// secrets (the passwords found in the file being read).
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, mask)
	}
	msg = urlInText.ReplaceAllStringFunc(msg, func(u string) string {
		if passwordOf(u) == examplePassword {
			return u // our own example, "postgres://user:password@host/db"
		}
		return RedactURL(u)
	})
	msg = queryPassword.ReplaceAllString(msg, "${1}"+mask)
	msg = dsnPassword.ReplaceAllString(msg, "${1}"+mask)
	return msg
}

// secretsIn returns the passwords that appear in a config file's text, so
// that no error message built from the file can repeat them, even when the
// file is too broken to parse.
//
// This is a second line of defence: messages are built so that they never
// quote the database URL in the first place. Passwords shorter than
// minSecretLen are left to that first line, because replacing every "ab" in
// a message would garble it; so is the literal word "password", which our
// own examples use.
func secretsIn(doc string) []string {
	var out []string
	for _, m := range urlInText.FindAllString(doc, -1) {
		if red := RedactURL(m); red != m {
			out = append(out, passwordOf(m))
		}
	}
	for _, m := range dsnPassword.FindAllStringSubmatch(doc, -1) {
		out = append(out, strings.Trim(m[2], "'"))
	}
	for _, m := range queryPassword.FindAllStringIndex(doc, -1) {
		v := doc[m[0]:m[1]]
		if _, after, ok := strings.Cut(v, "="); ok {
			out = append(out, after)
		}
	}
	// Longest first, so a password containing another is masked whole.
	var keep []string
	for _, s := range out {
		if len(s) >= minSecretLen && s != mask && s != examplePassword {
			keep = append(keep, s)
		}
	}
	slices.SortFunc(keep, func(a, b string) int { return len(b) - len(a) })
	return keep
}

// passwordOf returns the password part of a URL with user information.
func passwordOf(u string) string {
	i := strings.Index(u, "://")
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

// redactWebhook keeps a webhook URL's scheme and host and masks the rest:
// "https://hooks.slack.com/services/T0/B0/xyz" becomes
// "https://hooks.slack.com/****". Anything that does not parse is masked
// whole.
func redactWebhook(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return mask
	}
	return u.Scheme + "://" + u.Hostname() + portOf(u) + "/" + mask
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return ":" + p
	}
	return ""
}
