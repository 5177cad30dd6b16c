package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

type fakeRunner struct {
	name string
	args []string
	err  error
}

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) error {
	f.name, f.args = name, args
	return f.err
}

func TestDesktopCommands(t *testing.T) {
	a := sampleAlert()
	a.Title = "-Bob's \"plan\" ‘x’"
	tests := []struct {
		os, name string
		check    func(t *testing.T, args []string)
	}{
		{"linux", "notify-send", func(t *testing.T, args []string) {
			if n := len(args); n < 3 || args[n-3] != "--" || args[n-2] != a.Title || args[n-1] != a.Message {
				t.Errorf("args %q", args)
			}
		}},
		{"darwin", "osascript", func(t *testing.T, args []string) {
			if n := len(args); args[n-2] != a.Title || args[n-1] != a.Message || strings.Contains(strings.Join(args[:n-2], " "), "Bob") {
				t.Errorf("args %q: title and message must be run arguments, not script text", args)
			}
		}},
		{"windows", "powershell.exe", func(t *testing.T, args []string) {
			if args[len(args)-2] != "-EncodedCommand" {
				t.Fatalf("args %q", args)
			}
			raw, err := base64.StdEncoding.DecodeString(args[len(args)-1])
			if err != nil || len(raw)%2 != 0 {
				t.Fatalf("bad -EncodedCommand: %v", err)
			}
			u := make([]uint16, len(raw)/2)
			for i := range u {
				u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
			}
			script := string(utf16.Decode(u))
			if !strings.Contains(script, "CreateTextNode("+psQuote(a.Title)+")") || !strings.Contains(script, psQuote(a.Message)) {
				t.Errorf("script does not carry the quoted title and message:\n%s", script)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.os, func(t *testing.T) {
			r := &fakeRunner{}
			if err := (&Desktop{Runner: r, OS: tt.os}).Deliver(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if r.name != tt.name {
				t.Errorf("ran %q, want %q", r.name, tt.name)
			}
			tt.check(t, r.args)
		})
	}
	r := &fakeRunner{}
	err := (&Desktop{Runner: r, OS: "plan9"}).Deliver(context.Background(), a)
	if !errors.Is(err, ErrNoDesktop) || r.name != "" {
		t.Errorf("plan9: err %v, ran %q", err, r.name)
	}
	boom := errors.New("no notification daemon")
	if err := (&Desktop{Runner: &fakeRunner{err: boom}, OS: "linux"}).Deliver(context.Background(), a); !errors.Is(err, boom) {
		t.Errorf("runner error lost: %v", err)
	}
}

func TestPSQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       "'plain'",
		"Bob's":       "'Bob''s'",
		"‘smart’":     "'‘‘smart’’'",
		`$(rm -rf) "`: `'$(rm -rf) "'`,
	} {
		if got := psQuote(in); got != want {
			t.Errorf("psQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
