package service

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
)

// systemdWord quotes s as one word of a unit-file setting: ExecStart= when
// exec is true, a path list such as ReadWritePaths= otherwise.
//
// systemd splits settings on whitespace and honours double quotes, and
// expands "%" specifiers everywhere and "$VAR" in ExecStart=, so those are
// doubled to stay literal. Backslashes and double quotes are refused rather
// than escaped: path-list settings keep backslashes verbatim inside quotes
// (EXTRACT_RETAIN_ESCAPE), so no spelling of them means the same in every
// setting, and no real install path needs them.
func systemdWord(s string, exec bool) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty value")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '"' || r == '\\' {
			return "", fmt.Errorf("%q: systemd unit files cannot carry control characters, double quotes or backslashes in paths", s)
		}
	}
	s = strings.ReplaceAll(s, "%", "%%")
	if exec {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	if strings.ContainsAny(s, " \t'") {
		s = `"` + s + `"`
	}
	return s, nil
}

// xmlText escapes s for XML character data and attribute values (plists and
// Task Scheduler definitions).
func xmlText(s string) (string, error) {
	for _, r := range s {
		// XML 1.0 cannot carry most control characters at all, escaped or not.
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return "", fmt.Errorf("%q: control characters cannot be written in XML", s)
		}
	}
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// windowsArg quotes one argument the way CommandLineToArgvW and the Go
// runtime split a Windows command line (the rules of syscall.EscapeArg,
// which exists only on Windows).
func windowsArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			// Backslashes before a quote are doubled, and the quote escaped.
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	// Trailing backslashes would escape the closing quote: double them.
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// windowsCommandLine joins args into one Windows command line.
func windowsCommandLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = windowsArg(a)
	}
	return strings.Join(q, " ")
}

// shellQuote quotes one word for a POSIX shell, for showing commands the
// user could paste.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("@%_+=:,./-", r))) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// displayCommand renders argv as the user would type it on goos.
func displayCommand(goos string, argv []string) string {
	if goos == "windows" {
		return windowsCommandLine(argv)
	}
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// utf16LE encodes s as UTF-16 little-endian with a byte-order mark: the
// encoding schtasks /XML reads reliably (it is what Task Scheduler itself
// exports); UTF-8 files are misread on some Windows versions.
func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(u))
	b[0], b[1] = 0xFF, 0xFE
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

// joinPath joins path elements with the separator of goos, so definitions for
// another OS can be rendered (and golden-tested) on this one.
func joinPath(goos string, elem ...string) string {
	sep := "/"
	if goos == "windows" {
		sep = `\`
	}
	var parts []string
	for i, e := range elem {
		if i > 0 {
			e = strings.TrimLeft(e, `/\`)
		}
		if i < len(elem)-1 {
			e = strings.TrimRight(e, `/\`)
		}
		if e != "" || i == 0 {
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, sep)
}

// isAbs reports whether p is absolute on goos.
func isAbs(goos, p string) bool {
	if goos == "windows" {
		// C:\dir or \\server\share.
		return (len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') && unicode.IsLetter(rune(p[0]))) ||
			strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}

// within reports whether p is dir or inside it on goos (case-insensitively
// on Windows and macOS, whose file systems usually are).
func within(goos, p, dir string) bool {
	if dir == "" {
		return false
	}
	sep := "/"
	if goos == "windows" {
		sep = `\`
		p = strings.ReplaceAll(p, "/", `\`)
		dir = strings.ReplaceAll(dir, "/", `\`)
	}
	if goos == "windows" || goos == "darwin" {
		p, dir = strings.ToLower(p), strings.ToLower(dir)
	}
	dir = strings.TrimRight(dir, sep)
	return p == dir || strings.HasPrefix(p, dir+sep)
}
