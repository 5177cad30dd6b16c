package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Help text, generated from the command table and the commands' FlagSets.

const mainUsageHead = `pb — PacketBuddy, a network usage monitor.

Usage:
  pb <command> [flags]
  pb help <command>

Commands:
`

const mainUsageTail = `
Every command takes --config FILE and --data-dir DIR (also PB_CONFIG and
PB_DATA_DIR; the default data directory is ~/.packetbuddy). Run
"pb help <command>" or "pb <command> --help" for a command's flags.
Exit codes: 0 success, 1 failure, 2 usage error (pb check: 3 and 4).
`

func printMainUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(mainUsageHead)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString(mainUsageTail)
	io.WriteString(w, b.String())
}

// flagDoc is one flag as help and the man page show it; aliases sharing
// a Value (-i and --interface) are one flagDoc.
type flagDoc struct {
	names  []string // "-i", "--interface": a single letter takes one dash
	arg    string   // "FILE", or "" for a boolean flag
	usage  string
	def    string // the default worth showing, or ""
	values []string
}

// dashed spells a flag name as it is typed: -i, --interface.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagDocs lists fs's flags for c, aliases merged, in FlagSet order (sorted
// by name) of the alias listed first.
func flagDocs(c command, fs *flag.FlagSet) []flagDoc {
	var docs []flagDoc
	index := map[flag.Value]int{}
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if i, ok := index[f.Value]; ok {
			d := &docs[i]
			d.names = append(d.names, dashed(f.Name))
			// The alias's usage is "same as ..."; keep the real one.
			if strings.HasPrefix(d.usage, "same as ") {
				d.usage = usage
				if d.values == nil && arg != "" {
					d.arg = strings.ToUpper(arg)
				}
			}
			slices.SortFunc(d.names, func(a, b string) int { return len(a) - len(b) })
			return
		}
		index[f.Value] = len(docs)
		d := flagDoc{names: []string{dashed(f.Name)}, usage: usage, values: c.flagValues(f.Name)}
		switch {
		case d.values != nil:
			d.arg = strings.Join(d.values, "|")
		case arg != "":
			d.arg = strings.ToUpper(arg)
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
			switch f.DefValue {
			case "", "0", "-":
			default:
				d.def = f.DefValue
			}
		} else {
			d.arg = ""
		}
		docs = append(docs, d)
	})
	return docs
}

// head is the flag's names and argument: "-o, --output FILE".
func (d flagDoc) head() string {
	s := strings.Join(d.names, ", ")
	if d.arg != "" {
		s += " " + d.arg
	}
	return s
}

// text is the flag's usage with its default.
func (d flagDoc) text() string {
	s := d.usage
	if d.def != "" {
		s += " (default " + d.def + ")"
	}
	return s
}

// wrap breaks s into lines of at most width runes, each prefixed by indent.
func wrap(s, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(s) {
		if line != indent && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	b.WriteString(line + "\n")
	return b.String()
}

// writeCommandHelp prints c's help: the usage line, the prose, the actions
// and the flags of fs.
func writeCommandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: pb %s", c.name)
	if c.synopsis != "" {
		b.WriteString(" " + c.synopsis)
	}
	b.WriteString("\n\n" + strings.TrimSpace(c.help) + "\n")
	if len(c.actions) > 0 {
		b.WriteString("\nActions:\n")
		wid := 0
		for _, a := range c.actions {
			wid = max(wid, len(a.name))
		}
		for _, a := range c.actions {
			text := wrap(a.summary, strings.Repeat(" ", wid+4), 78)
			fmt.Fprintf(&b, "  %-*s  %s", wid, a.name, text[wid+4:])
		}
	}
	if docs := flagDocs(c, fs); len(docs) > 0 {
		b.WriteString("\nFlags:\n")
		for _, d := range docs {
			b.WriteString("  " + d.head() + "\n")
			b.WriteString(wrap(d.text(), "        ", 78))
		}
	}
	io.WriteString(w, b.String())
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours ("todya")
// each count 1, for "did you mean".
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// closest is the candidate nearest to s when it is near enough to be a
// typo (at most a third of its letters off, and never more than 3), or "".
func closest(s string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := editDistance(s, c)
		if strings.HasPrefix(c, s) && len(s) >= 3 {
			d = min(d, 1)
		}
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > min(3, max(1, len(s)/3)) {
		return ""
	}
	return best
}

// didYouMean is " (did you mean X?)" or "".
func didYouMean(s string, candidates []string) string {
	if c := closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %s?)", c)
	}
	return ""
}

// flagNames lists fs's flags as typed: -i, --interface.
func flagNames(fs *flag.FlagSet) []string {
	var n []string
	fs.VisitAll(func(f *flag.Flag) { n = append(n, dashed(f.Name)) })
	return n
}

// actionHint is a did-you-mean among command cmd's actions, or "".
func actionHint(cmd, s string) string {
	c, _ := lookupCommand(cmd)
	return didYouMean(s, c.actionNames())
}
