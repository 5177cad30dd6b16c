package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
)

// mdEscape escapes text for Markdown: characters that open inline markup
// (emphasis, code, links, raw HTML, entities, strikethrough), the table
// separator and the heading mark get a backslash; line breaks become
// spaces so a value cannot start a new block.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case strings.ContainsRune("\\`*_[]<>#|~&!", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// renderMarkdown is the Markdown form of the HTML report: the same
// sections, tables instead of charts.
func renderMarkdown(w io.Writer, d *query.Report) error {
	by := func(n uint64) string { return mdEscape(units.FormatBytesBase(n, d.UnitBase)) }
	sp := func(n uint64) string { return mdEscape(units.FormatSpeedBase(n, d.UnitBase)) }
	pct := func(part, whole uint64) string {
		if whole == 0 {
			return "–"
		}
		return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64) + "%"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdEscape(d.Title))
	fmt.Fprintf(&b, "%s (%s) · %s to %s · %s · generated %s\n\n", mdEscape(d.Device.Hostname), mdEscape(d.Device.OSType),
		d.From, d.To, mdEscape(d.Timezone), mdEscape(d.GeneratedAt.Format("2006-01-02 15:04 MST")))
	if d.Empty {
		fmt.Fprintf(&b, "**No traffic was recorded between %s and %s.**\n\n", d.From, d.To)
	}
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	b.WriteString("## Summary\n\n| | |\n|---|---:|\n")
	row("Total", by(d.Totals.Total()))
	row("Days tracked", strconv.Itoa(d.DaysTracked))
	row("Daily average (over the days tracked)", by(d.DailyAverage.Total()))
	peak := sp(d.PeakSpeed)
	if !d.PeakSpeedAt.IsZero() {
		peak += " (" + mdEscape(d.PeakSpeedAt.Format("2006-01-02 15:04 MST")) + ")"
	}
	row("Peak speed", peak)
	if d.PeakDay.Total() > 0 {
		row("Busiest day", d.PeakDay.Date.String()+": "+by(d.PeakDay.Total()))
	}
	row("Cost at "+mdEscape(d.Cost.RateFormatted)+" per "+gbName(d.UnitBase), mdEscape(d.Cost.TotalFormatted))

	b.WriteString("\n## Download, upload and personality\n\n| | | |\n|---|---:|---:|\n")
	fmt.Fprintf(&b, "| Downloaded | %s | %s |\n", by(d.Totals.Rx), pct(d.Totals.Rx, d.Totals.Total()))
	fmt.Fprintf(&b, "| Uploaded | %s | %s |\n", by(d.Totals.Tx), pct(d.Totals.Tx, d.Totals.Total()))
	ratio := "n/a"
	if d.Totals.Rx > 0 {
		ratio = strconv.FormatFloat(d.UploadRatio, 'f', 2, 64)
	}
	fmt.Fprintf(&b, "\nUpload/download ratio %s: **%s**. %s\n", ratio, mdEscape(d.Personality), mdEscape(personalityNote(d.Personality)))

	b.WriteString("\n## In other words\n\n")
	fmt.Fprintf(&b, "- %s DVDs (4.7 GB)\n- %s HD movies (5 GB)\n- download %s, upload %s\n",
		strconv.FormatFloat(d.DVDs, 'f', 1, 64), strconv.FormatFloat(d.HDMovies, 'f', 1, 64), mdEscape(d.Cost.DownloadFormatted), mdEscape(d.Cost.UploadFormatted))
	if len(d.Months) > 0 {
		b.WriteString("\n## By month\n\n| Month | Downloaded | Uploaded | Total |\n|---|---:|---:|---:|\n")
		for _, m := range d.Months {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC).Format("January 2006"), by(m.Rx), by(m.Tx), by(m.Total()))
		}
	}
	if len(d.Networks) > 0 {
		b.WriteString("\n## By network\n\n| Network | Metered | Downloaded | Uploaded | Total |\n|---|---|---:|---:|---:|\n")
		for _, n := range d.Networks {
			metered := ""
			if n.Metered {
				metered = "yes"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(n.Name), metered, by(n.Rx), by(n.Tx), by(n.Total()))
		}
	}
	if len(d.Days) > 0 {
		b.WriteString("\n## By day\n\n| Date | Downloaded | Uploaded | Total | Peak speed |\n|---|---:|---:|---:|---:|\n")
		for _, day := range d.Days {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", day.Date, by(day.Rx), by(day.Tx), by(day.Total()), sp(day.PeakBytesPerSec))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
