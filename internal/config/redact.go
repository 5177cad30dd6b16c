package config

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/packetbuddy/pb/internal/redact"
)

const (
	// mask replaces every secret PacketBuddy prints.
	mask = redact.Mask
	// examplePassword is the placeholder in the URLs that messages show as
	// examples; it is not masked.
	examplePassword = "password"
	// minSecretLen is the shortest password that scrub replaces wherever it
	// appears; see secretsIn.
	minSecretLen = 4
)

// RedactURL masks the password in a PostgreSQL connection string so it can be
// shown; it is redact.URL, named here for the callers that print config.
func RedactURL(s string) string { return redact.URL(s) }

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
		if redact.UserPassword(u) == examplePassword {
			return u // our own example, "postgres://user:password@host/db"
		}
		return redact.URL(u)
	})
	return redact.Params(msg)
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
		if red := redact.URL(m); red != m {
			out = append(out, redact.UserPassword(m))
		}
	}
	out = append(out, redact.ParamPasswords(doc)...)
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
