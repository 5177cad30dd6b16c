package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/packetbuddy/pb/internal/query"
)

const yearsHelp = `
Show every year with traffic, and each year's months with --months. The
API has no years endpoint; --json prints {timezone, years: [{year,
bytes_sent, bytes_received, total_bytes, months: [{month, ...}]}], summary}
with the API's field names.`

func runYears(ctx context.Context, args []string, env Env) error {
	var qf queryFlags
	fs := newQueryFlagSet("years", "[flags]", yearsHelp, env, &qf)
	months := fs.Bool("months", false, "list each year's months too")
	_, err := parseArgs(fs, args, "years", 0)
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, &qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	years, sum, err := q.eng.Years(ctx)
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Years(years, sum))
	}
	c := useColor(qf.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, "Years ("+q.loc.String()+")"))
	var top uint64
	for _, y := range years {
		top = max(top, y.Totals.Total())
	}
	t := newTable("Year", "Download", "Upload", "Total", "").alignRight(1, 2, 3)
	t.barCol = 4
	for _, y := range years {
		t.add(strconv.Itoa(y.Year), q.bytes(y.Totals.Rx), q.bytes(y.Totals.Tx), q.bytes(y.Totals.Total()), bar(y.Totals.Total(), top, 30))
		if *months {
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
