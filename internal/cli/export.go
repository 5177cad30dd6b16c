package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/report"
	"github.com/packetbuddy/pb/internal/usage"
)

const exportHelp = `
Export the history, or the days from --from to --to, as:

  json  the API's export document (GET /api/export): metadata, summary,
        monthly and daily data
  csv   one row per day: date,bytes_sent,bytes_received,total_bytes,peak_speed
  llm   plain text (TOON) to paste into a language-model prompt
  html  a self-contained report (charts, no script) that prints well
  md    the same report in Markdown

The output goes to stdout, or to --output FILE (written atomically, mode
0600). The files are the same as the API's downloads.`

// exportOpts are pb export's flags.
type exportOpts struct {
	dateRangeOpts
	format, output string
}

// exportFlags defines pb export's flags.
func exportFlags(env Env) (*flag.FlagSet, *exportOpts) {
	o := new(exportOpts)
	fs := newFigureFlagSet("export", env, &o.queryFlags)
	fs.StringVar(&o.format, "format", "json", "`format`: json, csv, llm, html or md")
	fs.StringVar(&o.from, "from", "", "first `date`, YYYY-MM-DD (default: the first tracked day)")
	fs.StringVar(&o.to, "to", "", "last `date`, YYYY-MM-DD (default: today)")
	fs.StringVar(&o.output, "output", "-", "write to `FILE` (- is stdout)")
	fs.StringVar(&o.output, "o", "-", "same as --output")
	return fs, o
}

func runExport(ctx context.Context, args []string, env Env) error {
	fs, o := exportFlags(env)
	_, err := parseArgs(fs, args, "export", 0)
	if err != nil {
		return err
	}
	format, ok := map[string]string{"json": "json", "csv": "csv", "llm": report.FormatTOON, "toon": report.FormatTOON, "html": report.FormatHTML, "md": report.FormatMarkdown, "markdown": report.FormatMarkdown}[o.format]
	if !ok {
		return usagef("export", "--format %q: use json, csv, llm, html or md", o.format)
	}
	today := usage.DateOf(env.now())
	var from, to *usage.Date
	if o.from != "" || o.to != "" {
		if o.from != "" && o.to != "" {
			if _, _, err := dateRangeArgs("export", o.from, o.to, today, today, today); err != nil {
				return err
			}
		}
		if o.from != "" {
			f, err := parseDateArg("export", "--from", o.from, today)
			if err != nil {
				return err
			}
			from = &f
		}
		if o.to != "" {
			t, err := parseDateArg("export", "--to", o.to, today)
			if err != nil {
				return err
			}
			to = &t
		}
	}
	q, err := openQuery(ctx, &o.queryFlags, env)
	if err != nil {
		return err
	}
	defer q.Close()
	prog := newProgress(env, "exporting")
	b, err := q.export(ctx, format, from, to)
	prog.done()
	if err != nil {
		return err
	}
	if o.output == "-" {
		_, err = env.Stdout.Write(b)
		return err
	}
	if err := writeFileAtomic(o.output, b); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%d bytes)\n", o.output, len(b))
	return nil
}

// export builds the export document of from..to (either may be nil: from
// the first tracked day, to today; both nil: everything) in format, the
// same bytes as GET /api/export.
func (q *session) export(ctx context.Context, format string, from, to *usage.Date) ([]byte, error) {
	var f, t usage.Date
	title := "PacketBuddy export"
	if from != nil || to != nil {
		t = usage.DateOf(q.now)
		if to != nil {
			t = *to
		}
		if from != nil {
			f = *from
		} else {
			f = t
			l, err := q.eng.Lifetime(ctx, q.now)
			if err != nil {
				return nil, err
			}
			if l.Tracked && l.First.Before(t) {
				f = l.First
			}
		}
		if f.After(t) {
			return nil, usagef("export", "the range starts (%s) after it ends (%s); swap --from and --to", f, t)
		}
		if n := f.DaysUntil(t) + 1; from != nil && n > maxRangeDays {
			return nil, usagef("export", "the range %s to %s has %d days; at most %d days can be exported at once (leave out --from to export everything)", f, t, n, maxRangeDays)
		}
		title += " " + f.String() + " to " + t.String()
	} else {
		var err error
		if f, t, err = q.eng.ExportSpan(ctx, q.now); err != nil {
			return nil, err
		}
	}
	d, err := q.eng.Report(ctx, q.now, q.device(ctx), query.KindExport, title, f, t)
	if err != nil {
		return nil, err
	}
	switch format {
	case "json":
		return q.enc.Export(d)
	case "csv":
		return api.ExportCSV(d)
	}
	var b bytes.Buffer
	if err := report.Render(&b, format, d); err != nil {
		return nil, fmt.Errorf("render %s report: %w", format, err)
	}
	return b.Bytes(), nil
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory, so a reader never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".pb-export-*")
	if err != nil {
		return fmt.Errorf("cannot write to %s: %w", dir, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
