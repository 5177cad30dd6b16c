package counter

import (
	"bytes"
	"fmt"
)

// ParseProcNetDev parses the contents of Linux's /proc/net/dev and appends
// one Counter per interface to dst.
//
// The format, from net/core/net-procfs.c, is two header lines (recognised by
// their '|' and skipped wherever they are) and then one line per interface:
//
//	"%6s: %7llu %7llu ..." — the name right-aligned, a colon, 16 counters
//
// Field 1 is received bytes and field 9 transmitted bytes. Kernels before
// 2.6.x printed the name and the first counter glued together
// ("eth0:12345"), so the name ends at the first colon, which Linux forbids in
// interface names. Only the first 9 fields are required; more are ignored, so
// a kernel that appends a column does not break pb. A line that is not of
// this form is an error naming the line, and then dst comes back with none
// of the file's counters, so a half-parsed file is never mistaken for a
// whole one.
//
// It runs on every poll, so it does not allocate in the common case: it walks
// the bytes without strings.Fields, and reuses the name strings left in dst's
// backing array by the previous call when they are unchanged (pass the
// previous result as dst[:0]).
func ParseProcNetDev(data []byte, dst []Counter) ([]Counter, error) {
	start := len(dst)
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++

		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			if bytes.IndexByte(line, '|') >= 0 || len(trimSpace(line)) == 0 {
				continue // a header line, or a blank one
			}
			return dst[:start], lineError(lineNo, line, "no ':' after the interface name")
		}
		name := trimSpace(line[:colon])
		if len(name) == 0 {
			return dst[:start], lineError(lineNo, line, "empty interface name")
		}
		if bytes.IndexByte(name, ' ') >= 0 || bytes.IndexByte(name, '\t') >= 0 {
			return dst[:start], lineError(lineNo, line, "space in the interface name")
		}

		var rx, tx uint64
		field := 0
		rest := line[colon+1:]
		for {
			rest = trimLeftSpace(rest)
			if len(rest) == 0 {
				break
			}
			end := 0
			for end < len(rest) && !isSpace(rest[end]) {
				end++
			}
			v, ok := parseUint(rest[:end])
			if !ok {
				return dst[:start], lineError(lineNo, line, fmt.Sprintf("field %d %q is not a counter", field+1, clip(rest[:end], 32)))
			}
			switch field {
			case 0:
				rx = v
			case 8:
				tx = v
			}
			field++
			rest = rest[end:]
		}
		if field < 9 {
			return dst[:start], lineError(lineNo, line, fmt.Sprintf("%d fields, want at least 9", field))
		}
		dst = append(dst, Counter{Name: reuseName(prevName(dst), name), RxBytes: rx, TxBytes: tx})
	}
	return dst, nil
}

// lineError names the bad line (shortened, so a garbage file does not make a
// huge error) and what is wrong with it.
func lineError(lineNo int, line []byte, why string) error {
	return fmt.Errorf("parse /proc/net/dev line %d %q: %s", lineNo, clip(line, 120), why)
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// parseUint parses a non-empty run of ASCII digits that fits in a uint64.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false // overflow
		}
		v = v*10 + d
	}
	return v, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func trimSpace(b []byte) []byte {
	b = trimLeftSpace(b)
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
