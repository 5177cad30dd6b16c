package report

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// renderTOON writes the report as TOON (Token-Oriented Object Notation),
// a compact, line-oriented encoding of the JSON data model meant for
// language-model prompts: objects by indentation, uniform arrays as tables
// with their length and fields declared once, strings quoted only when
// they would otherwise be misread.
func renderTOON(w io.Writer, d *query.Report) error {
	var b strings.Builder
	kv := func(indent int, key, val string) {
		b.WriteString(strings.Repeat("  ", indent) + key + ": " + val + "\n")
	}
	str := func(s string) string { return toonString(s, ',') }
	num := func(n uint64) string { return strconv.FormatUint(n, 10) }
	date := func(d usage.Date) string {
		if d.IsZero() {
			return "null"
		}
		return str(d.String())
	}
	kv(0, "report", str(d.Kind))
	kv(0, "title", str(d.Title))
	kv(0, "generated_at", str(d.GeneratedAt.Format(time.RFC3339)))
	kv(0, "timezone", str(d.Timezone))
	b.WriteString("device:\n")
	kv(1, "hostname", str(d.Device.Hostname))
	kv(1, "os_type", str(d.Device.OSType))
	kv(1, "device_id", str(d.Device.DeviceID))
	b.WriteString("period:\n")
	kv(1, "from", date(d.From))
	kv(1, "to", date(d.To))
	kv(1, "first_date", date(d.FirstDate))
	kv(1, "last_date", date(d.LastDate))
	kv(1, "days_tracked", strconv.Itoa(d.DaysTracked))
	kv(1, "empty", strconv.FormatBool(d.Empty))
	b.WriteString("totals:\n")
	kv(1, "bytes_sent", num(d.Totals.Tx))
	kv(1, "bytes_received", num(d.Totals.Rx))
	kv(1, "total_bytes", num(d.Totals.Total()))
	kv(1, "human", str(units.FormatBytesBase(d.Totals.Total(), d.UnitBase)))
	kv(0, "daily_average_bytes", num(d.DailyAverage.Total()))
	kv(0, "peak_speed_bytes_per_second", num(d.PeakSpeed))
	if !d.PeakSpeedAt.IsZero() {
		kv(0, "peak_speed_at", str(d.PeakSpeedAt.Format(time.RFC3339)))
	}
	if d.PeakDay.Total() > 0 {
		b.WriteString("peak_day:\n")
		kv(1, "date", date(d.PeakDay.Date))
		kv(1, "bytes", num(d.PeakDay.Total()))
	}
	kv(0, "upload_download_ratio", formatFloat(d.UploadRatio, 3))
	kv(0, "personality", str(d.Personality))
	kv(0, "dvds", formatFloat(d.DVDs, 2))
	kv(0, "hd_movies", formatFloat(d.HDMovies, 2))
	b.WriteString("cost:\n")
	kv(1, "currency", str(d.Cost.Currency))
	kv(1, "cost_per_gb", formatFloat(d.Cost.RatePerGB, 4))
	kv(1, "upload", formatFloat(d.Cost.Upload, 4))
	kv(1, "download", formatFloat(d.Cost.Download, 4))
	kv(1, "total", formatFloat(d.Cost.Total, 4))
	kv(1, "total_formatted", str(d.Cost.TotalFormatted))
	fmt.Fprintf(&b, "monthly[%d]{month,bytes_sent,bytes_received,total_bytes}:\n", len(d.Months))
	for _, m := range d.Months {
		fmt.Fprintf(&b, "  %04d-%02d,%d,%d,%d\n", m.Year, m.Month, m.Tx, m.Rx, m.Total())
	}
	fmt.Fprintf(&b, "daily[%d]{date,bytes_sent,bytes_received,total_bytes,peak_speed}:\n", len(d.Days))
	for _, day := range d.Days {
		fmt.Fprintf(&b, "  %s,%d,%d,%d,%d\n", day.Date, day.Tx, day.Rx, day.Total(), day.PeakBytesPerSec)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// toonString quotes a string value when TOON requires it: empty, padded,
// a keyword or number look-alike, a leading hyphen, or any structural
// character (colon, quote, backslash, brackets, braces, the delimiter,
// control characters). Inside quotes only \\ \" \n \r \t are escapes; other
// control characters are replaced, since TOON cannot carry them.
func toonString(s string, delim rune) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !toonNeedsQuotes(s, delim) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func toonNeedsQuotes(s string, delim rune) bool {
	if s == "" || s != strings.TrimSpace(s) || s == "true" || s == "false" || s == "null" || strings.HasPrefix(s, "-") {
		return true
	}
	if looksNumeric(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == delim || strings.ContainsRune(":\"\\[]{}#", r) {
			return true
		}
	}
	return false
}

// looksNumeric reports whether s would read back as a number: TOON's
// numeric pattern (-?digits, optional fraction, optional exponent) or a
// leading-zero form such as "007".
func looksNumeric(s string) bool {
	re := numericRegexps()
	return re[0].MatchString(s) || re[1].MatchString(s)
}

// numericRegexps are the numeric-looking and leading-zero forms, compiled
// on first use (not in every pb serve).
var numericRegexps = sync.OnceValue(func() [2]*regexp.Regexp {
	return [2]*regexp.Regexp{
		regexp.MustCompile(`^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$`),
		regexp.MustCompile(`^0\d+$`),
	}
})

// formatFloat prints a float with at most prec decimals, no exponent and no
// trailing zeros ("1.5", "0", "12.34").
func formatFloat(f float64, prec int) string {
	s := strconv.FormatFloat(query.RoundTo(f, prec), 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
