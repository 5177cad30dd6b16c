package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/chromium"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

const hostile = `<script>alert(1)</script>`

// sample is a report of 75 days over three months, on a device with a
// hostile name.
func sample() *query.Report {
	loc, _ := time.LoadLocation("Asia/Kolkata")
	d := &query.Report{
		Kind: query.KindExport, Title: `PacketBuddy export "` + hostile + `"`, GeneratedAt: time.Date(2026, 3, 15, 9, 30, 0, 0, loc),
		Timezone: "Asia/Kolkata",
		Device:   query.Device{Hostname: hostile + ` & "quotes" 'too'`, OSType: "Linux", DeviceID: "id-<b>1</b>"},
		From:     usage.Date{Year: 2026, Month: 1, Day: 1}, To: usage.Date{Year: 2026, Month: 3, Day: 15},
	}
	d.FirstDate, d.LastDate = d.From, d.To
	for day := d.From; !day.After(d.To); day = day.AddDays(1) {
		n := uint64(day.Day*37%23+1) * 150_000_000
		t := usage.DayTotals{Date: day, Totals: usage.Totals{Rx: n, Tx: n / 4}, PeakBytesPerSec: n / 3000}
		d.Days = append(d.Days, t)
		d.Totals = d.Totals.Add(t.Totals)
		if t.Total() > d.PeakDay.Total() {
			d.PeakDay = t
		}
		d.PeakSpeed = max(d.PeakSpeed, t.PeakBytesPerSec)
		if m := len(d.Months); m == 0 || d.Months[m-1].Month != day.Month {
			d.Months = append(d.Months, usage.MonthTotals{Year: day.Year, Month: day.Month})
		}
		d.Months[len(d.Months)-1].Totals = d.Months[len(d.Months)-1].Totals.Add(t.Totals)
	}
	d.DaysTracked = d.From.DaysUntil(d.To) + 1
	n := uint64(d.DaysTracked)
	d.DailyAverage = usage.Totals{Rx: d.Totals.Rx / n, Tx: d.Totals.Tx / n}
	d.PeakSpeedAt = time.Date(2026, 2, 3, 21, 15, 0, 0, loc)
	d.UploadRatio = float64(d.Totals.Tx) / float64(d.Totals.Rx)
	d.Personality = query.Personality(d.UploadRatio, d.Totals)
	d.DVDs = float64(d.Totals.Total()) / 4.7e9
	d.HDMovies = float64(d.Totals.Total()) / 5e9
	d.Cost = query.Cost{RatePerGB: 7.5, Currency: "INR", Total: 1234.5, TotalFormatted: "₹1,234.50", UploadFormatted: "₹246.90", DownloadFormatted: "₹987.60", RateFormatted: "₹7.50"}
	return d
}

// TestTOONQuoting checks the quoting rules on their own.
func TestTOONQuoting(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two words", "two words"},
		{"", `""`},
		{" padded", `" padded"`},
		{"true", `"true"`},
		{"null", `"null"`},
		{"42", `"42"`},
		{"007", `"007"`},
		{"1e5", `"1e5"`},
		{"-x", `"-x"`},
		{"a,b", `"a,b"`},
		{"k: v", `"k: v"`},
		{"[x]", `"[x]"`},
		{"tab\there", `"tab\there"`},
		{"bell\x07", "\"bell\uFFFD\""},
		{"2026-03-08", "2026-03-08"},
		{"₹45.02", "₹45.02"},
	}
	for _, tc := range tests {
		if got := toonString(tc.in, ','); got != tc.want {
			t.Errorf("toonString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func render(t *testing.T, format string, d *query.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, format, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLEscapesAndIsSelfContained(t *testing.T) {
	out := render(t, FormatHTML, sample())
	if strings.Contains(out, hostile) || strings.Contains(out, "<b>1</b>") {
		t.Fatal("a user-supplied string reached the HTML unescaped")
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("the hostname is missing from the report")
	}
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("report is not self-contained: it has %q", bad)
		}
	}
	for _, want := range []string{"@media print", "<svg", "Days", "Personality", "DVDs", "HD movies", "By month", "Daily average", "Peak speed", "Busiest day", "₹1,234.50", "Streamer"} {
		if !strings.Contains(out, want) && !strings.Contains(out, strings.ToLower(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestEmptyHTML(t *testing.T) {
	d := &query.Report{Title: "Empty", Empty: true, Personality: "Just Getting Started", From: usage.Date{Year: 2026, Month: 1, Day: 1}, To: usage.Date{Year: 2026, Month: 1, Day: 1}}
	if out := render(t, FormatHTML, d); !strings.Contains(out, "No traffic was recorded") {
		t.Fatal("an empty report does not say so")
	}
}

func TestMarkdownEscapes(t *testing.T) {
	out := render(t, FormatMarkdown, sample())
	if strings.Contains(out, "<script>") {
		t.Fatal("markdown carries raw HTML")
	}
}

// TestLLMParsesBack reads the TOON text back with a small parser and checks
// that the hostile hostname and the numbers survive.
func TestLLMParsesBack(t *testing.T) {
	d := sample()
	d.Device.Hostname = "a: b, \"c\"\n- [d] {e} #f \\ g"
	out := render(t, FormatTOON, d)
	kv, tables := parseTOON(t, out)
	if kv["device.hostname"] != d.Device.Hostname {
		t.Fatalf("hostname read back as %q, want %q", kv["device.hostname"], d.Device.Hostname)
	}
	if kv["totals.total_bytes"] != strconv.FormatUint(d.Totals.Total(), 10) {
		t.Fatalf("total_bytes %q", kv["totals.total_bytes"])
	}
	if got := len(tables["daily"]); got != len(d.Days) {
		t.Fatalf("%d daily rows, want %d", got, len(d.Days))
	}
	if got := len(tables["monthly"]); got != len(d.Months) {
		t.Fatalf("%d monthly rows, want %d", got, len(d.Months))
	}
}

var tableHead = regexp.MustCompile(`^(\w+)\[(\d+)\]\{([\w,]+)\}:$`)

// parseTOON parses the subset of TOON the report uses: "key: value" lines,
// nested objects by two-space indentation, and tabular arrays
// name[N]{f1,f2}: with N indented comma rows. Quoted strings are unescaped;
// anything malformed fails the test.
func parseTOON(t *testing.T, s string) (map[string]string, map[string][][]string) {
	t.Helper()
	kv := map[string]string{}
	tables := map[string][][]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	var parent, table string
	var want, fields int
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if table != "" && strings.HasPrefix(line, "  ") {
			cells := strings.Split(strings.TrimPrefix(line, "  "), ",")
			if len(cells) != fields {
				t.Fatalf("line %d: %d cells, want %d: %q", n, len(cells), fields, line)
			}
			tables[table] = append(tables[table], cells)
			continue
		}
		if table != "" && len(tables[table]) != want {
			t.Fatalf("table %s: %d rows, declared %d", table, len(tables[table]), want)
		}
		table = ""
		if m := tableHead.FindStringSubmatch(line); m != nil {
			table, parent = m[1], ""
			want, _ = strconv.Atoi(m[2])
			fields = len(strings.Split(m[3], ","))
			tables[table] = [][]string{}
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		key, val, ok := strings.Cut(strings.TrimLeft(line, " "), ":")
		if !ok {
			t.Fatalf("line %d is not key: value: %q", n, line)
		}
		if indent == 0 && val == "" {
			parent = key
			continue
		}
		if indent == 2 && parent == "" || indent != 0 && indent != 2 {
			t.Fatalf("line %d: bad indentation: %q", n, line)
		}
		if indent == 0 {
			parent = ""
		} else {
			key = parent + "." + key
		}
		kv[key] = unquote(t, strings.TrimPrefix(val, " "))
	}
	if table != "" && len(tables[table]) != want {
		t.Fatalf("table %s: %d rows, declared %d", table, len(tables[table]), want)
	}
	return kv, tables
}

func unquote(t *testing.T, v string) string {
	t.Helper()
	if !strings.HasPrefix(v, `"`) {
		if strings.ContainsAny(v, "\":[]{}") {
			t.Fatalf("unquoted value with a structural character: %q", v)
		}
		return v
	}
	if len(v) < 2 || !strings.HasSuffix(v, `"`) {
		t.Fatalf("unterminated string %q", v)
	}
	var b strings.Builder
	in := v[1 : len(v)-1]
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == '"' {
			t.Fatalf("unescaped quote in %q", v)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(in) {
			t.Fatalf("dangling backslash in %q", v)
		}
		switch in[i] {
		case '\\', '"':
			b.WriteByte(in[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			t.Fatalf("bad escape \\%c in %q", in[i], v)
		}
	}
	return b.String()
}

// TestHTMLInChromium renders the report in headless Chromium: the DOM it
// builds has no script element and shows the escaped hostname as text, it
// prints to PDF, and a screenshot goes to artifacts/.
func TestHTMLInChromium(t *testing.T) {
	chrome := chromium.Find(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte(render(t, FormatHTML, sample())), 0o600); err != nil {
		t.Fatal(err)
	}
	art := chromium.ArtifactDir(t)
	shot := filepath.Join(art, "report-export.png")
	run := func(extra ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
			"--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + filepath.Join(dir, "profile")}, extra...)
		args = append(args, "file://"+page)
		cmd := exec.CommandContext(ctx, chrome, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, errb.String())
		}
		return out.String(), errb.String()
	}
	dom, logs := run("--dump-dom")
	if strings.Contains(dom, "<script") {
		t.Fatal("the rendered DOM has a script element")
	}
	if !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("the hostname is not shown as text")
	}
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "CONSOLE") || strings.Contains(l, "Uncaught") {
			t.Errorf("browser console: %s", l)
		}
	}
	run("--window-size=1100,2400", "--screenshot="+shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Fatalf("no screenshot at %s (%v)", shot, err)
	}
	pdf := filepath.Join(art, "report-export.pdf")
	run("--no-pdf-header-footer", "--print-to-pdf="+pdf)
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("printing to PDF failed: %v", err)
	}
	t.Logf("screenshot %s, print %s", shot, pdf)
}

var _ = fmt.Sprint

func TestMarkdownContents(t *testing.T) {
	out := render(t, FormatMarkdown, sample())
	for _, want := range []string{"\\<script\\>alert(1)\\</script\\>", "Days tracked | 74", "personality", "Streamer", "DVDs", "HD movies", "## By month", "| January 2026 |", "80.0%", "₹1,234.50"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}
