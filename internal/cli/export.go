package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

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

func runExport(ctx context.Context, args []string, env Env) error {
	var qf queryFlags
	fs := newQueryFlagSet("export", "--format json|csv|llm|html|md [--from DATE] [--to DATE] [--output FILE|-]", exportHelp, env, &qf)
	format := fs.String("format", "json", "`format`: json, csv, llm, html or md")
	from := fs.String("from", "", "first `date`, YYYY-MM-DD (default: the first tracked day)")
	to := fs.String("to", "", "last `date`, YYYY-MM-DD (default: today)")
	output := fs.String("output", "-", "write to `FILE` (- is stdout)")
	fs.StringVar(output, "o", "-", "same as --output")
	_, err := parseArgs(fs, args, "export", 0)
	if err != nil {
		return err
	}
	apiFormat, ok := map[string]string{"json": "json", "csv": "csv", "llm": "llm", "toon": "llm", "html": "html", "md": "markdown", "markdown": "markdown"}[*format]
	if !ok {
		return usagef("export", "--format %q: use json, csv, llm, html or md", *format)
	}
	today := usage.DateOf(env.now())
	params := url.Values{"format": {apiFormat}}
	if *from != "" || *to != "" {
		if *from != "" && *to != "" {
			if _, _, err := dateRangeArgs("export", *from, *to, today, today, today); err != nil {
				return err
			}
		}
		if *from != "" {
			f, err := parseDateArg("export", "--from", *from, today)
			if err != nil {
				return err
			}
			params.Set("from", f.String())
		}
		if *to != "" {
			t, err := parseDateArg("export", "--to", *to, today)
			if err != nil {
				return err
			}
			params.Set("to", t.String())
		}
	}
	q, err := openQuery(ctx, &qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	prog := newProgress(env, "exporting")
	b, err := q.get("/api/export", params)
	prog.done()
	if err != nil {
		return err
	}
	if *output == "-" {
		_, err = env.Stdout.Write(b)
		return err
	}
	if err := writeFileAtomic(*output, b); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%d bytes)\n", *output, len(b))
	return nil
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
