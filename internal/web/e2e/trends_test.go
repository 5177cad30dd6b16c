package e2e

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/chromium"
)

// changeText is how trends.js writes a change.
func changeText(pct *float64, counted bool) string {
	switch {
	case pct != nil:
		v := int(math.Round(*pct))
		if v > 0 {
			return fmt.Sprintf("+%d%%", v)
		} else if v < 0 {
			return fmt.Sprintf("−%d%%", -v)
		}
		return "±0%"
	case counted:
		return "–"
	}
	return "not counted"
}

// TestDashboardTrends: the trends panel shows /api/trends, and a click on
// the busiest hour of the hour map opens its minutes, which add up to
// /api/minutes for that hour.
func TestDashboardTrends(t *testing.T) {
	chromium.Find(t)
	e := newEnv(t)
	ctx, p, base := e.ctx, e.p, e.srv.base
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the first data", `document.body.dataset.ready === 'true'`)
	p.waitTrue(ctx, "the trends panel", `!document.getElementById('trends').hidden && document.querySelectorAll('#trends-rows tr').length === 3`)

	type cmp struct {
		Current struct {
			Total uint64 `json:"total_bytes"`
		} `json:"current"`
		Counted bool     `json:"counted"`
		Change  *float64 `json:"change_percent"`
	}
	var tr struct {
		Month, Week, Year cmp
		Weekdays          []struct{ Weekday string }
		Hours             []struct{ Hour int }
	}
	getJSON(t, base+"/api/trends", &tr)
	var rows [][]string
	p.mustEval(ctx, `[...document.querySelectorAll('#trends-rows tr')].map((tr) => [...tr.children].map((c) => c.textContent))`, &rows)
	for i, want := range []cmp{tr.Month, tr.Week, tr.Year} {
		if len(rows) != 3 || len(rows[i]) != 5 {
			t.Fatalf("trend rows %q", rows)
		}
		if got := rows[i][3]; got != changeText(want.Change, want.Counted) {
			t.Errorf("row %d (%s): change %q, want %q", i, rows[i][0], got, changeText(want.Change, want.Counted))
		}
		if rows[i][1] == "" || rows[i][1] == "—" {
			t.Errorf("row %d: no current figure: %q", i, rows[i])
		}
	}
	var lens []int
	p.mustEval(ctx, `[document.querySelectorAll('#trends-weekdays li').length, document.querySelectorAll('#trends-hours li').length]`, &lens)
	if len(lens) != 2 || lens[0] != len(tr.Weekdays) || lens[1] != len(tr.Hours) || lens[1] != 24 {
		t.Errorf("profiles on the page %v, the API has %d weekdays and %d hours", lens, len(tr.Weekdays), len(tr.Hours))
	}

	// Zoom: the busiest hour of the map.
	var cell struct {
		Day  string
		Hour int
	}
	p.mustEval(ctx, `(() => {
		const cells = [...document.querySelectorAll('#heat-rows td[data-hour]:not(.none)')];
		const rank = (td) => Number((td.className.match(/l(\d)/) || [0, -1])[1]);
		const td = cells.sort((a, b) => rank(b) - rank(a))[0];
		td.click();
		return { Day: td.dataset.day, Hour: Number(td.dataset.hour) };
	})()`, &cell)
	p.waitTrue(ctx, "the minute view", `!document.getElementById('minutes').hidden && Chart.getChart(document.getElementById('minutes-chart'))?.data.labels.length === 60`)
	day, err := time.ParseInLocation("2006-01-02", cell.Day, loc)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), cell.Hour, 0, 0, 0, loc)
	var m struct {
		Minutes []struct {
			Rx uint64 `json:"bytes_received"`
			Tx uint64 `json:"bytes_sent"`
		}
		Summary struct {
			Rx    uint64                 `json:"bytes_received"`
			Tx    uint64                 `json:"bytes_sent"`
			Human struct{ Total string } `json:"human_readable"`
		}
	}
	getJSON(t, base+"/api/minutes?from="+url.QueryEscape(from.Format(time.RFC3339))+"&to="+url.QueryEscape(from.Add(time.Hour).Format(time.RFC3339)), &m)
	if m.Summary.Rx+m.Summary.Tx == 0 {
		t.Fatalf("the busiest hour %s %d:00 has no minutes in /api/minutes", cell.Day, cell.Hour)
	}
	var sums []float64
	p.mustEval(ctx, `(() => {
		const c = Chart.getChart(document.getElementById('minutes-chart'));
		return c.data.datasets.map((d) => d.data.reduce((a, b) => a + b, 0));
	})()`, &sums)
	if len(sums) != 2 || uint64(sums[0]) != m.Summary.Rx || uint64(sums[1]) != m.Summary.Tx {
		t.Errorf("minute chart sums %v, /api/minutes has %d down and %d up", sums, m.Summary.Rx, m.Summary.Tx)
	}
	var summary string
	p.mustEval(ctx, `document.getElementById('minutes-summary').textContent`, &summary)
	if !strings.HasPrefix(summary, m.Summary.Human.Total+" in the hour") {
		t.Errorf("minute summary %q, want it to start with %q", summary, m.Summary.Human.Total)
	}
	e.checkClean(t)
}
