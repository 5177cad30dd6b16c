package config

import (
	"strings"
)

// keyLines maps each dotted key and table defined in a TOML document to the
// first line (1-based) that defines it. The TOML decoder does not expose key
// positions, so errors about a key (unknown, wrong type, bad value) find
// their line here.
//
// It is a forgiving line scanner, not a parser: it only runs on documents the
// decoder accepted, and it understands what config files contain — [tables],
// [[arrays]], key = value, dotted and quoted keys, one-line inline tables,
// and multi-line strings and arrays (whose inner lines it skips).
func keyLines(doc string) map[string]int {
	lines := map[string]int{}
	scanKeys(doc, func(path []string, line int) {
		for i := 1; i <= len(path); i++ {
			k := joinKey(path[:i])
			if _, ok := lines[k]; !ok {
				lines[k] = line
			}
		}
	})
	return lines
}

// maxNesting bounds how deeply keys and values may nest. PacketBuddy's own
// settings have two levels; the TOML decoder takes time quadratic in the
// nesting depth, so a file with thousands of levels (a fuzzer's favourite,
// or a corrupted file) would hang Load.
const maxNesting = 16

// tooDeep returns the line of the first dotted key with more than maxNesting
// parts, or of the first value nested more than maxNesting brackets deep, or
// 0. It skips strings and comments, so dots in URLs and text do not count.
func tooDeep(doc string) int {
	line := 1
	depth := 0 // open [ and { brackets
	dots := 0  // dots in the current run of key characters
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case c == '\n':
			line++
			dots = 0
		case c == '#':
			for i+1 < len(doc) && doc[i+1] != '\n' {
				i++
			}
		case c == '"' || c == '\'':
			// A quoted key part continues a dotted run: a."b".c
			delim := doc[i : i+1]
			if strings.HasPrefix(doc[i:], strings.Repeat(delim, 3)) {
				delim = strings.Repeat(delim, 3)
			}
			j := i + len(delim)
			for j < len(doc) && !strings.HasPrefix(doc[j:], delim) {
				if doc[j] == '\\' && c == '"' {
					j++
				} else if doc[j] == '\n' {
					line++
					if len(delim) == 1 {
						break // an unclosed one-line string; the decoder reports it
					}
				}
				j++
			}
			i = j + len(delim) - 1
		case c == '[' || c == '{':
			if depth++; depth > maxNesting {
				return line
			}
			dots = 0
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
			dots = 0
		case c == '.':
			if dots++; dots >= maxNesting {
				return line
			}
		case c == ' ' || c == '\t' || c == '_' || c == '-' ||
			c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
		default:
			dots = 0
		}
	}
	return 0
}

// scanKeys calls fn with the full path of every key and table the document
// defines, and its line.
func scanKeys(doc string, fn func(path []string, line int)) {
	var table []string
	inString := "" // the closing delimiter of an open multi-line string
	depth := 0     // open brackets of a multi-line array or inline table
	for n, raw := range strings.Split(doc, "\n") {
		lineNo := n + 1
		line := strings.TrimRight(raw, "\r")
		if inString != "" {
			if strings.Contains(line, inString) {
				inString = ""
			}
			continue
		}
		if depth > 0 {
			depth += bracketDelta(line)
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '[' {
			name := strings.TrimLeft(t, "[")
			if i := strings.IndexByte(name, ']'); i >= 0 {
				name = name[:i]
			}
			table = splitKey(name)
			fn(table, lineNo)
			continue
		}
		eq := indexOutsideQuotes(t, '=')
		if eq < 0 {
			continue
		}
		path := append(append([]string(nil), table...), splitKey(t[:eq])...)
		fn(path, lineNo)
		value := strings.TrimSpace(t[eq+1:])
		switch {
		case strings.HasPrefix(value, `"""`) && strings.Count(value, `"""`) == 1:
			inString = `"""`
		case strings.HasPrefix(value, `'''`) && strings.Count(value, `'''`) == 1:
			inString = `'''`
		case strings.HasPrefix(value, "{"):
			recordInline(path, value, lineNo, fn)
			depth = bracketDelta(value)
		case strings.HasPrefix(value, "["):
			depth = bracketDelta(value)
		}
		if depth < 0 {
			depth = 0
		}
	}
}

// recordInline records the keys of a one-line inline table:
// api = { port = 7373, host = "::1" }.
func recordInline(path []string, value string, line int, record func([]string, int)) {
	body := strings.TrimPrefix(value, "{")
	for _, part := range splitOutsideQuotes(body, ',') {
		if eq := indexOutsideQuotes(part, '='); eq >= 0 {
			k := strings.Trim(strings.TrimSpace(part[:eq]), "{")
			record(append(append([]string(nil), path...), splitKey(k)...), line)
		}
	}
}

// bracketDelta counts opening minus closing brackets and braces outside
// strings and comments, to skip the inner lines of a multi-line value.
func bracketDelta(s string) int {
	d := 0
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == '\\' && q == '"' {
				i++
			} else if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '#':
			return d
		case c == '[' || c == '{':
			d++
		case c == ']' || c == '}':
			d--
		}
	}
	return d
}

// splitKey splits a dotted TOML key into its parts, honouring quotes:
// `a."b.c" . d` → [a b.c d].
func splitKey(s string) []string {
	var out []string
	for _, p := range splitOutsideQuotes(s, '.') {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' && p[len(p)-1] == '"' || p[0] == '\'' && p[len(p)-1] == '\'') {
			p = p[1 : len(p)-1]
		}
		out = append(out, p)
	}
	return out
}

// joinKey is the inverse of splitKey, and the spelling used for keys in
// messages: parts that are not bare keys are quoted.
func joinKey(parts []string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		if isBareKey(p) {
			q[i] = p
		} else {
			q[i] = quote(p)
		}
	}
	return strings.Join(q, ".")
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// indexOutsideQuotes returns the index of the first sep not inside a quoted
// string, or -1.
func indexOutsideQuotes(s string, sep byte) int {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == '\\' && q == '"' {
				i++
			} else if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == sep:
			return i
		}
	}
	return -1
}

// splitOutsideQuotes splits s at every sep not inside a quoted string.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	for {
		i := indexOutsideQuotes(s, sep)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

// lineOf returns the line defining key, or the line of its nearest defined
// parent, or 0.
func lineOf(lines map[string]int, key string) int {
	parts := splitKey(key)
	for i := len(parts); i > 0; i-- {
		if n, ok := lines[joinKey(parts[:i])]; ok {
			return n
		}
	}
	return 0
}
