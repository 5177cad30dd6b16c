package api

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/packetbuddy/pb/internal/usage"
)

// Limits on parameters. Every one is a 400 with a sentence when exceeded,
// never a slow query or a 500.
const (
	maxRangeDays = 3660 // ten years and a bit: /api/range, /api/days, exports
	maxTopLimit  = 1000
	maxEvents    = 1000
	maxRate      = 1e9 // cost per GB; above it a float loses the cents
)

// minDate and maxDate bound every date parameter: before 1970 nothing can
// have been counted, and the far future only makes the zone arithmetic
// meaningless.
var (
	minDate = usage.Date{Year: 1970, Month: time.January, Day: 1}
	maxDate = usage.Date{Year: 2199, Month: time.December, Day: 31}
)

// params reads a request's query strictly: a parameter given twice, or
// under both its name and its alias, is a 400, since silently taking one of
// them hides the client's bug.
type params struct {
	v url.Values
	// maxDays bounds dateRange; 0 means maxRangeDays.
	maxDays int
}

func parseParams(r *http.Request) (params, error) {
	if len(r.URL.RawQuery) > 4096 {
		return params{}, badRequest("The query string is too long (more than 4096 bytes).")
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return params{}, badRequest("The query string is malformed: %s.", sanitize(err.Error()))
	}
	return params{v: v}, nil
}

// get returns the value of the first of names that is present ("" when
// none is) and the name it came under.
func (p params) get(names ...string) (val, name string, err error) {
	for _, n := range names {
		vs, ok := p.v[n]
		if !ok {
			continue
		}
		if len(vs) > 1 {
			return "", n, badRequest("Parameter %s is given %d times; give it once.", n, len(vs))
		}
		if name != "" {
			return "", n, badRequest("Parameters %s and %s mean the same; give only one.", name, n)
		}
		val, name = vs[0], n
	}
	return val, name, nil
}

// date reads an optional YYYY-MM-DD parameter; ok is false when absent.
func (p params) date(names ...string) (d usage.Date, ok bool, err error) {
	s, name, err := p.get(names...)
	if err != nil || name == "" {
		return usage.Date{}, false, err
	}
	d, err = parseDate(name, s)
	return d, err == nil, err
}

// parseDate parses a date parameter strictly and within [minDate, maxDate].
func parseDate(name, s string) (usage.Date, error) {
	if s == "" {
		return usage.Date{}, badRequest("Parameter %s is empty; give a date as YYYY-MM-DD, e.g. 2026-03-08.", name)
	}
	d, err := usage.ParseDate(s)
	if err != nil || len(s) != len("2006-01-02") {
		return usage.Date{}, badRequest("Parameter %s=%s is not a valid date; use YYYY-MM-DD, e.g. 2026-03-08.", name, quoteParam(s))
	}
	if d.Before(minDate) || d.After(maxDate) {
		return usage.Date{}, badRequest("Parameter %s=%s is out of range; dates go from %s to %s.", name, s, minDate, maxDate)
	}
	return d, nil
}

// month reads an optional YYYY-MM parameter as the first day of the month.
func (p params) month(name string) (d usage.Date, ok bool, err error) {
	s, got, err := p.get(name)
	if err != nil || got == "" {
		return usage.Date{}, false, err
	}
	t, perr := time.Parse("2006-01", s)
	if perr != nil || len(s) != len("2006-01") {
		return usage.Date{}, false, badRequest("Parameter %s=%s is not a valid month; use YYYY-MM, e.g. 2026-03.", name, quoteParam(s))
	}
	d = usage.Date{Year: t.Year(), Month: t.Month(), Day: 1}
	if d.Before(minDate) || d.After(maxDate) {
		return usage.Date{}, false, badRequest("Parameter %s=%s is out of range; months go from %s to %s.", name, s, minDate.String()[:7], maxDate.String()[:7])
	}
	return d, true, nil
}

// dateRange reads a from/to pair (with aliases), both required or both
// optional with defaults, checks order and size, and returns it inclusive.
func (p params) dateRange(fromNames, toNames []string, defFrom, defTo usage.Date, required bool) (from, to usage.Date, err error) {
	from, okF, err := p.date(fromNames...)
	if err != nil {
		return from, to, err
	}
	to, okT, err := p.date(toNames...)
	if err != nil {
		return from, to, err
	}
	if required && (!okF || !okT) {
		missing := fromNames[0]
		if okF {
			missing = toNames[0]
		}
		return from, to, badRequest("Parameter %s is required: give %s and %s as YYYY-MM-DD.", missing, fromNames[0], toNames[0])
	}
	if !okF {
		from = defFrom
	}
	if !okT {
		to = defTo
	}
	if from.After(to) {
		return from, to, badRequest("The range starts (%s) after it ends (%s); swap %s and %s.", from, to, fromNames[0], toNames[0])
	}
	limit := maxRangeDays
	if p.maxDays > 0 {
		limit = p.maxDays
	}
	if n := from.DaysUntil(to) + 1; n > limit {
		return from, to, badRequest("The range %s to %s has %d days; at most %d days can be asked for at once.", from, to, n, limit)
	}
	return from, to, nil
}

// intParam reads an optional integer in [lo, hi].
func (p params) intParam(name string, def, lo, hi int) (int, error) {
	s, got, err := p.get(name)
	if err != nil || got == "" {
		return def, err
	}
	n, perr := strconv.Atoi(strings.TrimSpace(s))
	if perr != nil {
		return 0, badRequest("Parameter %s=%s is not a whole number.", name, quoteParam(s))
	}
	if n < lo || n > hi {
		return 0, badRequest("Parameter %s=%d is out of range; use %d to %d.", name, n, lo, hi)
	}
	return n, nil
}

// floatParam reads an optional non-negative finite number at most hi.
func (p params) floatParam(name string, def, hi float64) (float64, error) {
	s, got, err := p.get(name)
	if err != nil || got == "" {
		return def, err
	}
	f, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if perr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, badRequest("Parameter %s=%s is not a number.", name, quoteParam(s))
	}
	if f < 0 || f > hi {
		return 0, badRequest("Parameter %s=%s is out of range; use 0 to %g.", name, quoteParam(s), hi)
	}
	return f, nil
}

// enum reads an optional parameter that must be one of allowed.
func (p params) enum(name, def string, allowed ...string) (string, error) {
	s, got, err := p.get(name)
	if err != nil || got == "" {
		return def, err
	}
	v := strings.ToLower(strings.TrimSpace(s))
	for _, a := range allowed {
		if v == a {
			return a, nil
		}
	}
	return "", badRequest("Parameter %s=%s is not supported; use one of: %s.", name, quoteParam(s), strings.Join(allowed, ", "))
}

// quoteParam quotes a user-supplied value for an error sentence: Go-quoted
// (so control characters cannot forge log lines) and cut to a sane length.
func quoteParam(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

// sanitize strips control characters from an error text that echoes input.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// dateString formats a date for an error sentence or a file name.
func dateString(d usage.Date) string { return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day) }

// boolParam reads an optional boolean: true/false, 1/0, yes/no, on/off (as
// the 1.x API took them); absent is false.
func (p params) boolParam(name string) (bool, error) {
	s, got, err := p.get(name)
	if err != nil || got == "" {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, badRequest("Parameter %s=%s is not true or false.", name, quoteParam(s))
}
