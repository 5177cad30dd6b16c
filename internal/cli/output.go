package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Output helpers: aligned tables, bars and colour. Colour is used only on a
// terminal and never when NO_COLOR is set (https://no-color.org), unless
// --color=always asks for it.

// ANSI styles.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiCyan   = "\x1b[36m"
	ansiHead   = "\x1b[1;4m"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor decides colour for --color mode on env.Stdout.
func useColor(mode string, env Env) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return env.Getenv("NO_COLOR") == "" && isTerminal(env.Stdout)
}

// paint wraps s in style when on.
func paint(on bool, style, s string) string {
	if !on || s == "" {
		return s
	}
	return style + s + ansiReset
}

// table is a text table: columns padded to their widest cell (counted in
// runes, so bars of block characters align), numbers right-aligned. It is
// laid out before colour is added, so escape codes never skew the columns.
type table struct {
	header []string
	right  []bool // right-align column i
	rows   [][]string
	styles []string // per row: an ANSI style for the whole row, or ""
	footer []string
	// barCol is the column holding a bar (coloured green when on), -1 none.
	barCol int
}

func newTable(header ...string) *table {
	return &table{header: header, right: make([]bool, len(header)), barCol: -1}
}

func (t *table) alignRight(cols ...int) *table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells); t.styles = append(t.styles, "") }
func (t *table) addStyled(style string, cells ...string) {
	t.rows = append(t.rows, cells)
	t.styles = append(t.styles, style)
}

// write prints the table; color adds bold headers and totals and coloured
// bars.
func (t *table) write(w io.Writer, color bool) error {
	all := append([][]string{t.header}, t.rows...)
	if t.footer != nil {
		all = append(all, t.footer)
	}
	width := make([]int, len(t.header))
	for _, r := range all {
		for i, c := range r {
			if i < len(width) && i != t.barCol {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
	}
	var b strings.Builder
	line := func(r []string, style string) {
		var l strings.Builder
		for i, c := range r {
			pad := 0
			if i < len(width) {
				pad = width[i] - utf8.RuneCountInString(c)
			}
			if i > 0 {
				l.WriteString("  ")
			}
			cell := c
			if i == t.barCol && color && style == "" {
				cell = paint(true, ansiGreen, c)
			}
			switch {
			case t.right[i]:
				l.WriteString(strings.Repeat(" ", max(pad, 0)) + cell)
			case i == len(r)-1:
				l.WriteString(cell)
			default:
				l.WriteString(cell + strings.Repeat(" ", max(pad, 0)))
			}
		}
		s := strings.TrimRight(l.String(), " ")
		if color && style != "" {
			s = style + s + ansiReset
		}
		b.WriteString(s + "\n")
	}
	line(t.header, ansiHead)
	for i, r := range t.rows {
		line(r, t.styles[i])
	}
	if t.footer != nil {
		line(t.footer, ansiBold)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// bar draws v/maxV as up to width block characters, with eighths for the
// remainder. A non-zero value shows at least a sliver.
func bar(v, maxV uint64, width int) string {
	if maxV == 0 || v == 0 {
		return ""
	}
	eighths := int((float64(v) / float64(maxV)) * float64(width*8))
	if eighths == 0 {
		eighths = 1
	}
	full, rest := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if rest > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[rest-1])
	}
	return s
}

// writeIndented writes a JSON body indented by two spaces.
func writeIndented(env Env, b []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err != nil {
		return fmt.Errorf("format json: %w", err)
	}
	out.WriteByte('\n')
	_, err := env.Stdout.Write(out.Bytes())
	return err
}

// kv prints "key: value" lines aligned on the colon.
func kv(w io.Writer, color bool, pairs ...[2]string) error {
	wid := 0
	for _, p := range pairs {
		wid = max(wid, utf8.RuneCountInString(p[0]))
	}
	var b strings.Builder
	for _, p := range pairs {
		k := p[0] + ":" + strings.Repeat(" ", wid-utf8.RuneCountInString(p[0]))
		fmt.Fprintf(&b, "%s  %s\n", paint(color, ansiBold, k), p[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
