package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

const yearsHelp = `
Show every year with traffic, and each year's months with --months. The
API has no years endpoint; --json prints {timezone, years: [{year,
bytes_sent, bytes_received, total_bytes, months: [{month, ...}]}], summary}
with the API's field names.`

type yearRow struct {
	Year          int        `json:"year"`
	BytesSent     uint64     `json:"bytes_sent"`
	BytesReceived uint64     `json:"bytes_received"`
	TotalBytes    uint64     `json:"total_bytes"`
	Months        []monthRow `json:"months"`
}

type monthRow struct {
	Month         string `json:"month"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
}

// yearsOpts are pb years' flags.
type yearsOpts struct {
	queryFlags
	months bool
}

// yearsFlags defines pb years' flags.
func yearsFlags(env Env) (*flag.FlagSet, *yearsOpts) {
	o := new(yearsOpts)
	fs := newFigureFlagSet("years", env, &o.queryFlags)
	fs.BoolVar(&o.months, "months", false, "list each year's months too")
	return fs, o
}

func runYears(ctx context.Context, args []string, env Env) error {
	fs, o := yearsFlags(env)
	_, err := parseArgs(fs, args, "years", 0)
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, &o.queryFlags, env)
	if err != nil {
		return err
	}
	defer q.Close()
	first, last, ok, err := q.st.Span(ctx, q.loc)
	if err != nil {
		return err
	}
	var years []yearRow
	var sum usage.Totals
	// Month and year totals known only as a whole (imported) count in
	// their month and year, and may reach before the first tracked day.
	periods, err := q.st.Periods(ctx, time.Unix(0, 0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), usage.Filter{Ifaces: o.ifaces})
	if err != nil {
		return err
	}
	if len(periods) > 0 {
		pf := usage.DateOf(periods[0].Start.In(q.loc))
		var pl usage.Date
		for _, p := range periods {
			if e := usage.DateOf(p.End.Add(-time.Second).In(q.loc)); e.After(pl) {
				pl = e
			}
		}
		if !ok || pf.Before(first) {
			first = pf
		}
		if !ok || pl.After(last) {
			last = pl
		}
		ok = true
	}
	if ok {
		ms, err := q.st.Months(ctx, first, last, q.loc, usage.Filter{Ifaces: o.ifaces})
		if err != nil {
			return err
		}
		for _, m := range ms {
			if len(years) == 0 || years[len(years)-1].Year != m.Year {
				years = append(years, yearRow{Year: m.Year, Months: []monthRow{}})
			}
			y := &years[len(years)-1]
			y.BytesSent += m.Tx
			y.BytesReceived += m.Rx
			y.TotalBytes += m.Total()
			y.Months = append(y.Months, monthRow{Month: fmt.Sprintf("%04d-%02d", m.Year, m.Month), BytesSent: m.Tx, BytesReceived: m.Rx, TotalBytes: m.Total()})
			sum = sum.Add(m.Totals)
		}
		for _, p := range periods {
			if p.Kind != usage.PeriodYear {
				continue
			}
			yr := p.Start.In(q.loc).Year()
			for i := range years {
				if years[i].Year == yr {
					years[i].BytesSent += p.Tx
					years[i].BytesReceived += p.Rx
					years[i].TotalBytes += p.Total()
					sum = sum.Add(p.Totals)
				}
			}
		}
	}
	if years == nil {
		years = []yearRow{}
	}
	if o.json {
		b, err := json.Marshal(struct {
			Timezone string    `json:"timezone"`
			Years    []yearRow `json:"years"`
			Summary  jsonUsage `json:"summary"`
		}{q.loc.String(), years, jsonUsage{
			BytesSent: sum.Tx, BytesReceived: sum.Rx, TotalBytes: sum.Total(),
			HumanReadable: jsonHuman{Sent: q.bytes(sum.Tx), Received: q.bytes(sum.Rx), Total: q.bytes(sum.Total())},
		}})
		if err != nil {
			return err
		}
		return q.printJSON(b)
	}
	c := useColor(o.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, "Years ("+q.loc.String()+")"))
	var top uint64
	for _, y := range years {
		top = max(top, y.TotalBytes)
	}
	t := newTable("Year", "Download", "Upload", "Total", "").alignRight(1, 2, 3)
	t.barCol = 4
	for _, y := range years {
		t.add(strconv.Itoa(y.Year), q.bytes(y.BytesReceived), q.bytes(y.BytesSent), q.bytes(y.TotalBytes), bar(y.TotalBytes, top, 30))
		if o.months {
			for _, m := range y.Months {
				if m.TotalBytes == 0 {
					t.addStyled(ansiDim, "  "+m.Month, "-", "-", "-", "")
					continue
				}
				t.add("  "+m.Month, q.bytes(m.BytesReceived), q.bytes(m.BytesSent), q.bytes(m.TotalBytes), bar(m.TotalBytes, top, 30))
			}
		}
	}
	t.footer = []string{"Total", q.bytes(sum.Rx), q.bytes(sum.Tx), q.bytes(sum.Total()), ""}
	return t.write(env.Stdout, c)
}
