package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/packetbuddy/pb/internal/units"
)

const liveHelp = `
Show the speed of every interface live, from the running daemon's
/api/live/stream, with a sparkline of the last minute. On a terminal the
view redraws in place; press q (or Ctrl-C) to quit. On a pipe it prints one
line per update (--json: the API's JSON, one object a line).`

// liveEvent is the part of the daemon's /api/live object (read over HTTP)
// that the view shows.
type liveEvent struct {
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	HumanReadable struct {
		Sent     string `json:"sent"`
		Received string `json:"received"`
	} `json:"human_readable"`
	Timestamp  string `json:"timestamp"`
	PeakToday  uint64 `json:"peak_today"`
	Interfaces []struct {
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Counted  bool   `json:"counted"`
		RxPerSec uint64 `json:"rx_per_sec"`
		TxPerSec uint64 `json:"tx_per_sec"`
	} `json:"interfaces"`
}

// sparkWidth is how many updates a sparkline shows.
const sparkWidth = 30

// liveOpts are pb live's flags.
type liveOpts struct {
	queryFlags
	count int
}

// liveFlags defines pb live's flags.
func liveFlags(env Env) (*flag.FlagSet, *liveOpts) {
	o := new(liveOpts)
	fs := newFigureFlagSet("live", env, &o.queryFlags)
	fs.IntVar(&o.count, "count", 0, "stop after `N` updates (0: until q or Ctrl-C)")
	return fs, o
}

func runLive(ctx context.Context, args []string, env Env) error {
	fs, o := liveFlags(env)
	_, err := parseArgs(fs, args, "live", 0)
	if err != nil {
		return err
	}
	if o.count < 0 {
		return usagef("live", "--count %d is negative", o.count)
	}
	switch o.color {
	case "auto", "always", "never":
	default:
		return usagef("live", "--color %q: use auto, always or never", o.color)
	}
	cfg, err := o.load(env)
	if err != nil {
		return err
	}
	c := newDaemonClient(cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := c.request(ctx, "/api/live/stream")
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return c.notRunning()
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return apiError(resp)
	}

	tty := isTerminal(env.Stdout) && !o.json
	out := env.Stdout
	if tty {
		if in, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
			if old, err := term.MakeRaw(int(in.Fd())); err == nil {
				defer term.Restore(int(in.Fd()), old)
			}
			go func() {
				b := make([]byte, 1)
				for {
					if _, err := in.Read(b); err != nil {
						return
					}
					switch b[0] {
					case 'q', 'Q', 3, 4, 27: // q, Ctrl-C, Ctrl-D, Esc
						cancel()
						return
					}
				}
			}()
		}
		fmt.Fprint(out, "\x1b[?25l\x1b[H\x1b[2J") // hide the cursor, clear
		defer fmt.Fprint(out, "\x1b[?25h\r\n")
	}
	view := &liveView{color: useColor(o.color, env), base: cfg.Display.UnitBase(), filter: o.ifaces, hist: map[string][]uint64{}}
	go func() { <-ctx.Done(); resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			continue
		case !strings.HasPrefix(line, "data: "):
			continue
		}
		data := strings.TrimPrefix(line, "data: ")
		if event == "close" {
			return errors.New("the daemon is shutting down")
		}
		var ev liveEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			continue
		}
		view.add(ev)
		switch {
		case o.json:
			fmt.Fprintln(out, data)
		case tty:
			w, h := 80, 24
			if f, ok := out.(*os.File); ok {
				if cw, ch, err := term.GetSize(int(f.Fd())); err == nil {
					w, h = cw, ch
				}
			}
			fmt.Fprint(out, "\x1b[H"+view.frame(w, h))
		default:
			fmt.Fprintln(out, view.line(ev))
		}
		if n++; o.count > 0 && n >= o.count {
			return nil
		}
	}
	if ctx.Err() != nil {
		return nil // q or Ctrl-C
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("the live stream from %s broke off: %w", c.addr, err)
	}
	return errors.New("the daemon closed the live stream (did it stop?)")
}

type liveView struct {
	color  bool
	base   units.Base
	filter []string
	hist   map[string][]uint64
	last   liveEvent
}

func (v *liveView) add(ev liveEvent) {
	v.last = ev
	push := func(k string, x uint64) {
		h := append(v.hist[k], x)
		if len(h) > sparkWidth {
			h = h[len(h)-sparkWidth:]
		}
		v.hist[k] = h
	}
	for _, i := range ev.Interfaces {
		push(i.Name, i.RxPerSec+i.TxPerSec)
	}
	push("\x00total", ev.BytesReceived+ev.BytesSent)
}

// frame is the full-screen view, each line cleared to its end, lines
// ended with \r\n (the terminal is in raw mode).
func (v *liveView) frame(width, height int) string {
	ev := v.last
	t := newTable("Interface", "Kind", "Download", "Upload", "Last "+fmt.Sprint(sparkWidth)+" updates").alignRight(2, 3)
	names := make([]int, 0, len(ev.Interfaces))
	for i, it := range ev.Interfaces {
		if len(v.filter) > 0 && !slices.Contains(v.filter, it.Name) {
			continue
		}
		names = append(names, i)
	}
	for _, i := range names {
		it := ev.Interfaces[i]
		style := ""
		if !it.Counted {
			style = ansiDim
		}
		t.addStyled(style, it.Name, it.Kind, units.FormatSpeedBase(it.RxPerSec, v.base), units.FormatSpeedBase(it.TxPerSec, v.base), spark(v.hist[it.Name]))
	}
	t.footer = []string{"Total", "counted", units.FormatSpeedBase(ev.BytesReceived, v.base), units.FormatSpeedBase(ev.BytesSent, v.base), spark(v.hist["\x00total"])}
	var b strings.Builder
	ts := ev.Timestamp
	if len(ts) >= 19 {
		ts = ts[11:19]
	}
	b.WriteString(paint(v.color, ansiBold, "PacketBuddy live") + "  " + ts + "  (q to quit)\n\n")
	_ = t.write(&b, v.color)
	fmt.Fprintf(&b, "\nPeak today %s\n", units.FormatSpeedBase(ev.PeakToday, v.base))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) > height-1 && height > 1 {
		lines = lines[:height-1]
	}
	var out strings.Builder
	for _, l := range lines {
		if !v.color && utf8.RuneCountInString(l) > width {
			l = string([]rune(l)[:width])
		}
		out.WriteString(l + "\x1b[K\r\n")
	}
	out.WriteString("\x1b[J")
	return out.String()
}

// line is the one-line form for pipes.
func (v *liveView) line(ev liveEvent) string {
	var parts []string
	for _, it := range ev.Interfaces {
		if len(v.filter) > 0 && !slices.Contains(v.filter, it.Name) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s ↓%s ↑%s", it.Name, units.FormatSpeedBase(it.RxPerSec, v.base), units.FormatSpeedBase(it.TxPerSec, v.base)))
	}
	return fmt.Sprintf("%s total ↓%s ↑%s  %s", ev.Timestamp, units.FormatSpeedBase(ev.BytesReceived, v.base), units.FormatSpeedBase(ev.BytesSent, v.base), strings.Join(parts, "  "))
}

// spark draws values as a sparkline of eight levels, scaled to the largest.
func spark(vals []uint64) string {
	const levels = "▁▂▃▄▅▆▇█"
	var top uint64
	for _, x := range vals {
		top = max(top, x)
	}
	var b strings.Builder
	for _, x := range vals {
		i := 0
		if top > 0 {
			i = int(x * 7 / top)
		}
		b.WriteRune([]rune(levels)[i])
	}
	return b.String()
}
