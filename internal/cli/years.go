package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/packetbuddy/pb/internal/query"
)

const yearsHelp = `
Show every year with traffic, and each year's months with --months. The
API has no years endpoint; --json prints {timezone, years: [{year,
bytes_sent, bytes_received, total_bytes, months: [{month, ...}]}], summary}
with the API's field names.`

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
	years, sum, err := q.eng.Years(ctx)
	if err != nil {
		return err
	}
	if o.json {
		return q.emit(q.enc.Years(years, sum))
	}
	c := useColor(o.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, "Years ("+q.loc.String()+")"))
	var top uint64
	for _, y := range years {
		top = max(top, y.Totals.Total())
	}
	t := newTable("Year", "Download", "Upload", "Total", "").alignRight(1, 2, 3)
	t.barCol = 4
	for _, y := range years {
		t.add(strconv.Itoa(y.Year), q.bytes(y.Totals.Rx), q.bytes(y.Totals.Tx), q.bytes(y.Totals.Total()), bar(y.Totals.Total(), top, 30))
		if o.months {
			for _, m := range y.Months {
				name := query.MonthString(m.Year, m.Month)
				if m.Total() == 0 {
					t.addStyled(ansiDim, "  "+name, "-", "-", "-", "")
					continue
				}
				t.add("  "+name, q.bytes(m.Rx), q.bytes(m.Tx), q.bytes(m.Total()), bar(m.Total(), top, 30))
			}
		}
	}
	t.footer = []string{"Total", q.bytes(sum.Rx), q.bytes(sum.Tx), q.bytes(sum.Total()), ""}
	return t.write(env.Stdout, c)
}
