package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FieldError is one problem with the configuration, with everything a user
// needs to fix it. Load joins several with errors.Join; use errors.As to get
// at them.
//
// Its message reads, depending on what is known:
//
//	config /home/me/.packetbuddy/config.toml: line 3, column 7: <problem>
//	config /home/me/.packetbuddy/config.toml: line 5: monitoring.poll_interval = "0s": must be between 100ms and 1m
//	config: PB_API_PORT="abc" (api.port): not a whole number; e.g. PB_API_PORT=7373
type FieldError struct {
	Path   string // config file; "" when the value did not come from a file
	Line   int    // 1-based line in Path; 0 if unknown
	Column int    // 1-based column (in characters); 0 if unknown
	Key    string // dotted setting name, "" for syntax errors
	Env    string // environment variable the value came from, if it did
	Value  string // the offending value as TOML or as typed; "" when secret or not applicable
	Msg    string // what is wrong and what is allowed

	// bare means Msg already names the key ("unknown key "x"").
	bare bool
}

// Error formats the problem as shown on FieldError, on one line.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.Path != "" && e.Env == "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	if e.Env == "" && e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(", column ")
			b.WriteString(strconv.Itoa(e.Column))
		}
		b.WriteString(": ")
	}
	switch {
	case e.bare:
	case e.Env != "":
		b.WriteString(e.Env)
		if e.Value != "" {
			b.WriteString("=")
			b.WriteString(e.Value)
		}
		if e.Key != "" {
			b.WriteString(" (" + e.Key + ")")
		}
		b.WriteString(": ")
	case e.Key != "":
		b.WriteString(e.Key)
		if e.Value != "" {
			b.WriteString(" = ")
			b.WriteString(e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// quote writes s as a TOML basic string. strconv.Quote is close but emits
// \x.. and \a escapes that TOML does not have.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == utf8.RuneError: // an invalid byte; TOML text must be UTF-8
			b.WriteString(`\uFFFD`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
			b.WriteString(strconv.FormatInt(int64(r)&0xf, 16))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteList writes a TOML array of strings.
func quoteList(list []string) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = quote(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func itoa(i int) string { return strconv.Itoa(i) }

// formatFloat writes f as a TOML float: always with a decimal point or an
// exponent, and inf/nan spelled the TOML way.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// formatDuration writes d the way a person would: "1m" rather than Go's
// "1m0s", "90s" rather than "1m30s" (both parse back to the same value).
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < 0:
		return d.String()
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
	return d.String()
}

// levenshtein is the edit distance between a and b, for "did you mean".
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// suggest returns the known key or section closest to an unknown key, or ""
// when none is close enough to be a likely typo. A key in the wrong section
// ("port" at the top instead of under [api]) is matched by its last part.
func suggest(unknown string) string {
	if len(unknown) > 64 {
		return "" // no typo is that long, and the distance is quadratic
	}
	u := strings.ToLower(unknown)
	best, bestDist := "", math.MaxInt
	try := func(cand string, dist int) {
		limit := 1 + utf8.RuneCountInString(leaf(cand))/4
		if dist <= limit && dist < bestDist {
			best, bestDist = cand, dist
		}
	}
	for _, f := range fields {
		try(f.key, levenshtein(u, f.key))
		if section(u) != section(f.key) {
			// One extra step for being in the wrong section.
			try(f.key, levenshtein(leaf(u), leaf(f.key))+1)
		}
	}
	for _, t := range tables {
		try(t.name, levenshtein(u, t.name))
	}
	try("plan", levenshtein(u, "plan")) // [[plan]] tables are not in tables: they repeat
	return best
}

// suggestValue is `; did you mean "x"?` for a value close to one of the
// allowed ones, or "".
func suggestValue(v string, allowed ...string) string {
	best, bestDist := "", math.MaxInt
	for _, a := range allowed {
		if d := levenshtein(strings.ToLower(v), a); d < bestDist {
			best, bestDist = a, d
		}
	}
	if v == "" || bestDist > 1+utf8.RuneCountInString(best)/3 {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}
