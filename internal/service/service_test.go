package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/packetbuddy/pb/internal/golden"
)

// fakeRunner records commands and answers them from a table of prefixes.
type fakeRunner struct {
	mu    sync.Mutex
	calls []string
	// answers maps a command line prefix to its output and error.
	answers map[string]fakeAnswer
}

type fakeAnswer struct {
	out string
	err error
}

var _ Runner = (*fakeRunner)(nil)

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, line)
	best := ""
	for prefix := range f.answers {
		if strings.HasPrefix(line, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return nil, nil
	}
	a := f.answers[best]
	return []byte(a.out), a.err
}

// fixtures are the installs the golden files describe.
func fixtures(t *testing.T) map[string]Options {
	none := filepath.Join(t.TempDir(), "no-linger") // nobody lingers
	return map[string]Options{
		"linux-user": {
			GOOS: "linux", Binary: "/home/ann/bin/pb", DataDir: "/home/ann/.packetbuddy",
			Home: "/home/ann", User: "ann", lingerDir: none,
		},
		"linux-user-quoting": {
			GOOS: "linux", Binary: "/opt/Packet Buddy/pb", DataDir: "/home/ann/My Data/100% sure $HOME",
			ConfigPath: "/home/ann/it's/config.toml",
			Home:       "/home/ann", ConfigHome: "/home/ann/.config alt", User: "ann", lingerDir: none,
		},
		"linux-system": {
			GOOS: "linux", Binary: "/usr/local/bin/pb", DataDir: "/var/lib/packetbuddy", System: true,
			Home: "/root", User: "root",
		},
		"darwin": {
			GOOS: "darwin", Binary: "/Users/ann/bin/pb", DataDir: "/Users/ann/Library/Application Support/Packet<Buddy> & co",
			Home: "/Users/ann", User: "ann", UID: 501,
		},
		"windows-task": {
			GOOS: "windows", Binary: `C:\Users\Ann Smith\AppData\Local\Programs\pb\pb.exe`,
			DataDir: `C:\Users\Ann Smith\.packetbuddy`, Home: `C:\Users\Ann Smith`, User: `DESKTOP-1\Ann & "Smith"`,
		},
		"windows-system": {
			GOOS: "windows", Binary: `C:\Program Files\PacketBuddy\pb.exe`, DataDir: `C:\ProgramData\PacketBuddy`,
			System: true, Home: `C:\Users\Ann Smith`, User: `DESKTOP-1\Ann`,
		},
	}
}

func newTestManager(t *testing.T, o Options) *Manager {
	t.Helper()
	if o.Runner == nil {
		o.Runner = &fakeRunner{}
	}
	m, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// TestDefinitionsGolden checks the unit, plist and task files byte for byte.
func TestDefinitionsGolden(t *testing.T) {
	ext := map[string]string{"linux": ".service", "darwin": ".plist", "windows": ".xml"}
	for name, o := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			m := newTestManager(t, o)
			_, content, text, err := m.Definition()
			if err != nil {
				t.Fatal(err)
			}
			if text != "" {
				content = []byte(text) // the task XML is UTF-16 on disk
			}
			e := ext[o.GOOS]
			if o.GOOS == "windows" && o.System {
				e = ".txt" // a service is API calls: shown as their description
			}
			golden.Check(t, name+e+".golden", content)
		})
	}
}

// TestDryRunGolden checks that --dry-run shows every file and command of
// every action, and changes nothing.
func TestDryRunGolden(t *testing.T) {
	for name, o := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			r := &fakeRunner{}
			o.Runner = r
			m := newTestManager(t, o)
			var b bytes.Buffer
			for _, a := range Actions {
				if err := m.Do(context.Background(), a, true, &b); err != nil {
					t.Fatalf("%s: %v", a, err)
				}
				b.WriteString("\n")
			}
			o.Purge = true
			mp := newTestManager(t, o)
			if err := mp.Do(context.Background(), Uninstall, true, &b); err != nil {
				t.Fatalf("uninstall --purge: %v", err)
			}
			golden.Check(t, "dryrun-"+name+".golden", b.Bytes())
			if len(r.calls) != 0 {
				t.Errorf("a dry run ran %q", r.calls)
			}
		})
	}
}

// TestDryRunShowsExactFile: the content between the markers is exactly
// what install writes.
func TestDryRunShowsExactFile(t *testing.T) {
	home := t.TempDir()
	o := Options{GOOS: "linux", Binary: "/usr/bin/pb", DataDir: filepath.Join(home, ".packetbuddy"), Home: home, User: "ann", Runner: &fakeRunner{}}
	m := newTestManager(t, o)
	var dry bytes.Buffer
	if err := m.Do(context.Background(), Install, true, &dry); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(context.Background(), Install, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(filepath.Join(home, ".config", "systemd", "user", UnitName))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(dry.String(), "----- begin "+UnitName+" -----\n")
	shown, _, _ := strings.Cut(after, "----- end "+UnitName+" -----\n")
	if shown != string(written) {
		t.Errorf("dry run showed\n%s\nbut install wrote\n%s", shown, written)
	}
}

// TestNoSecretInDefinitions: a database URL in the config file or the
// environment never reaches a unit, plist or task.
func TestNoSecretInDefinitions(t *testing.T) {
	const secret = "postgres://fleet:S3cr3tPassw0rd@ep-cool-1.neon.tech/pb?sslmode=require"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte("[sync]\nurl = \""+secret+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"PB_SYNC_URL", "DATABASE_URL", "PB_DATABASE_URL"} {
		t.Setenv(k, secret)
	}
	for name, o := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			if o.GOOS != "windows" {
				o.ConfigPath = cfg
			}
			o.Purge = true
			m := newTestManager(t, o)
			_, content, text, err := m.Definition()
			if err != nil {
				t.Fatal(err)
			}
			var all bytes.Buffer
			all.Write(content)
			all.WriteString(text)
			for _, a := range Actions {
				if err := m.Do(context.Background(), a, true, &all); err != nil {
					t.Fatal(err)
				}
			}
			for _, leak := range []string{secret, "S3cr3tPassw0rd", "neon.tech"} {
				if strings.Contains(all.String(), leak) {
					t.Errorf("%q leaked into the generated definitions or commands", leak)
				}
			}
		})
	}
}

func TestSystemdWord(t *testing.T) {
	tests := []struct {
		in       string
		exec     bool
		want     string
		wantFail bool
	}{
		{in: "/usr/bin/pb", exec: true, want: "/usr/bin/pb"},
		{in: "--data-dir", exec: true, want: "--data-dir"},
		{in: "/opt/Packet Buddy/pb", exec: true, want: `"/opt/Packet Buddy/pb"`},
		{in: "/data/100%", exec: false, want: "/data/100%%"},
		{in: "/data/$HOME", exec: true, want: "/data/$$HOME"},
		{in: "/data/$HOME", exec: false, want: "/data/$HOME"},
		{in: "/it's", exec: true, want: `"/it's"`},
		{in: "/tab\there", exec: true, wantFail: true},
		{in: `/a"b`, exec: true, wantFail: true},
		{in: `/a\b`, exec: false, wantFail: true},
		{in: "/new\nline", exec: false, wantFail: true},
		{in: "", wantFail: true},
	}
	for _, tc := range tests {
		got, err := systemdWord(tc.in, tc.exec)
		if tc.wantFail {
			if err == nil {
				t.Errorf("systemdWord(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("systemdWord(%q, %v) = %q, %v; want %q", tc.in, tc.exec, got, err, tc.want)
		}
	}
}

func TestWindowsArg(t *testing.T) {
	// Expected values are those of syscall.EscapeArg on Windows.
	tests := map[string]string{
		``:                   `""`,
		`serve`:              `serve`,
		`C:\Program Files\x`: `"C:\Program Files\x"`,
		`C:\dir with\`:       `"C:\dir with\\"`,
		`a"b`:                `"a\"b"`,
		`a\"b`:               `"a\\\"b"`,
		`C:\no\spaces\`:      `C:\no\spaces\`,
	}
	for in, want := range tests {
		if got := windowsArg(in); got != want {
			t.Errorf("windowsArg(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestXMLText(t *testing.T) {
	got, err := xmlText(`a<b>&"c"'d'`)
	if err != nil || got != "a&lt;b&gt;&amp;&#34;c&#34;&#39;d&#39;" {
		t.Errorf("xmlText = %q, %v", got, err)
	}
	if _, err := xmlText("bell\a"); err == nil {
		t.Error("xmlText accepted a control character")
	}
}

func TestTaskFileIsUTF16(t *testing.T) {
	m := newTestManager(t, fixtures(t)["windows-task"])
	_, content, text, err := m.Definition()
	if err != nil {
		t.Fatal(err)
	}
	if content[0] != 0xFF || content[1] != 0xFE {
		t.Fatalf("no UTF-16LE byte-order mark: % x", content[:2])
	}
	u := make([]uint16, (len(content)-2)/2)
	for i := range u {
		u[i] = uint16(content[2+2*i]) | uint16(content[3+2*i])<<8
	}
	decoded := string(utf16.Decode(u))
	if decoded != strings.ReplaceAll(text, "\n", "\r\n") {
		t.Errorf("UTF-16 content does not decode to the text (CRLF lines)")
	}
	if !strings.Contains(text, `<UserId>DESKTOP-1\Ann &amp; &#34;Smith&#34;</UserId>`) {
		t.Errorf("user not XML-escaped:\n%s", text)
	}
}

// TestLifecycleWithFakeRunner drives install, start, status, stop and
// uninstall of a user unit in a temporary home, with a fake systemctl.
func TestLifecycleWithFakeRunner(t *testing.T) {
	home := t.TempDir()
	data := filepath.Join(home, ".packetbuddy")
	lingerDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(lingerDir, "ann"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &fakeRunner{answers: map[string]fakeAnswer{
		"systemctl --user show packetbuddy.service": {out: "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nActiveEnterTimestamp=@1764104400\nUnitFileState=enabled\n"},
	}}
	m := newTestManager(t, Options{GOOS: "linux", Binary: "/usr/local/bin/pb", DataDir: data, Home: home, User: "ann", Runner: r, lingerDir: lingerDir})
	ctx := context.Background()

	if err := m.Do(ctx, Start, false, io.Discard); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("start before install: got %v, want ErrNotInstalled", err)
	}
	var out bytes.Buffer
	if err := m.Do(ctx, Install, false, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "enable-linger") {
		t.Errorf("linger advice shown to a user who lingers already:\n%s", out.String())
	}
	unit := filepath.Join(home, ".config", "systemd", "user", UnitName)
	if fi, err := os.Stat(unit); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("unit file: %v %v", fi, err)
	}
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir: %v %v", fi, err)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Status{Manager: "systemd user unit packetbuddy.service", Definition: unit, Installed: true, Known: true,
		Running: true, State: "active (running)", PID: 4242, Since: time.Unix(1764104400, 0), Logs: "journalctl --user -u packetbuddy.service"}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("status\n got %+v\nwant %+v", st, want)
	}
	if err := m.Do(ctx, Stop, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, Uninstall, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unit still there after uninstall: %v", err)
	}
	if _, err := os.Stat(data); err != nil {
		t.Errorf("uninstall without --purge removed the data: %v", err)
	}
	wantCalls := []string{
		"systemctl --user show-environment", // start: available?
		"systemctl --user show-environment", // install
		"systemctl --user daemon-reload",
		"systemctl --user enable packetbuddy.service",
		"systemctl --user restart packetbuddy.service",
		"systemctl --user show-environment", // status
		"systemctl --user show packetbuddy.service --property=LoadState,ActiveState,SubState,MainPID,ActiveEnterTimestamp,UnitFileState",
		"systemctl --user show-environment", // stop
		"systemctl --user stop packetbuddy.service",
		"systemctl --user show-environment", // uninstall
		"systemctl --user disable --now packetbuddy.service",
		"systemctl --user daemon-reload",
		"systemctl --user reset-failed packetbuddy.service",
	}
	if strings.Join(r.calls, "\n") != strings.Join(wantCalls, "\n") {
		t.Errorf("commands\n got %q\nwant %q", r.calls, wantCalls)
	}

	// --purge removes the data too.
	mp := newTestManager(t, Options{GOOS: "linux", Binary: "/usr/local/bin/pb", DataDir: data, Home: home, User: "ann", Runner: r, Purge: true})
	if err := mp.Do(ctx, Uninstall, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--purge left the data: %v", err)
	}
}

// TestFailedCommandStopsThePlan: an error is reported with the command and
// its message, and later steps do not run.
func TestFailedCommandStopsThePlan(t *testing.T) {
	home := t.TempDir()
	r := &fakeRunner{answers: map[string]fakeAnswer{
		"systemctl --user enable": {err: &CommandError{Command: "systemctl --user enable packetbuddy.service", Stderr: "Failed to enable unit: Access denied", Err: errors.New("exit status 1")}},
	}}
	m := newTestManager(t, Options{GOOS: "linux", Binary: "/usr/bin/pb", DataDir: filepath.Join(home, "d"), Home: home, Runner: r})
	err := m.Do(context.Background(), Install, false, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Access denied") || !strings.Contains(err.Error(), "service install") {
		t.Fatalf("got %v", err)
	}
	if last := r.calls[len(r.calls)-1]; !strings.HasPrefix(last, "systemctl --user enable") {
		t.Errorf("ran on after the failure: %q", r.calls)
	}
}

func TestUnavailableManager(t *testing.T) {
	home := t.TempDir()
	r := &fakeRunner{answers: map[string]fakeAnswer{
		"systemctl --user show-environment": {err: errors.New("Failed to connect to bus: No medium found")},
	}}
	m := newTestManager(t, Options{GOOS: "linux", Binary: "/usr/bin/pb", DataDir: filepath.Join(home, "d"), Home: home, Runner: r})
	err := m.Do(context.Background(), Install, false, io.Discard)
	if !errors.Is(err, ErrNoServiceManager) || !strings.Contains(err.Error(), "No medium found") || !strings.Contains(err.Error(), "--dry-run") {
		t.Fatalf("got %v", err)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("files were written although the manager is unreachable: %v", entries)
	}
	st, err := m.Status(context.Background())
	if err != nil || st.Known || st.Installed || st.Problem == "" {
		t.Errorf("status = %+v, %v", st, err)
	}
}

func TestOptionsRefused(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"relative binary", Options{GOOS: "linux", Binary: "pb", DataDir: "/d"}, "absolute"},
		{"relative data", Options{GOOS: "linux", Binary: "/usr/bin/pb", DataDir: "d"}, "absolute"},
		{"system binary in home", Options{GOOS: "linux", Binary: "/home/ann/go/bin/pb", DataDir: "/var/lib/packetbuddy", System: true}, "/usr/local/bin/pb"},
		{"system binary in root", Options{GOOS: "linux", Binary: "/root/pb", DataDir: "/var/lib/packetbuddy", System: true}, "ProtectHome"},
		{"windows system binary in profile", Options{GOOS: "windows", Binary: `C:\Users\ann\pb.exe`, DataDir: `C:\ProgramData\PacketBuddy`, System: true, Home: `C:\Users\Ann`}, `Program Files`},
		{"darwin system", Options{GOOS: "darwin", Binary: "/usr/local/bin/pb", DataDir: "/d", System: true}, "not supported"},
		{"plan9", Options{GOOS: "plan9", Binary: "/bin/pb", DataDir: "/d"}, "not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPurgeRefusesHome(t *testing.T) {
	for _, d := range []string{"/home/ann", "/home", "/data"} {
		m := newTestManager(t, Options{GOOS: "linux", Binary: "/usr/bin/pb", DataDir: d, Home: "/home/ann", Purge: true})
		if _, err := m.Plan(Uninstall); err == nil {
			t.Errorf("--purge of %s was planned", d)
		}
	}
}

func TestParseLaunchctlPrint(t *testing.T) {
	out := "gui/501/com.packetbuddy.pb = {\n\tactive count = 1\n\tpath = /Users/ann/Library/LaunchAgents/com.packetbuddy.pb.plist\n\tstate = running\n\n\tprogram = /usr/local/bin/pb\n\tendpoints = {\n\t\tstate = waiting\n\t}\n\tpid = 812\n\tlast exit code = (never exited)\n}\n"
	var st Status
	parseLaunchctlPrint([]byte(out), &st)
	if st.State != "running" || !st.Running || st.PID != 812 {
		t.Errorf("got %+v", st)
	}
}

func TestParseSchtasksCSV(t *testing.T) {
	tests := []struct {
		out     string
		state   string
		running bool
	}{
		{`"DESKTOP-1","\PacketBuddy","N/A","Running","Interactive only","11/25/2026 8:52:01 PM","267009","DESKTOP-1\ann","C:\pb.exe serve"` + "\r\n", "Running, last started 11/25/2026 8:52:01 PM", true},
		{`"DESKTOP-1","\PacketBuddy","N/A","Ready","Interactive only","11/30/1999 12:00:00 AM","267011","DESKTOP-1\ann","C:\pb.exe serve"` + "\r\n", "Ready", false},
		{`"PC","\PacketBuddy","N/A","Wird ausgeführt","Nur interaktiv","25.11.2026 20:52:01","267009"`, "Wird ausgeführt, last started 25.11.2026 20:52:01", false},
	}
	for _, tc := range tests {
		var st Status
		parseSchtasksCSV([]byte(tc.out), &st)
		if st.State != tc.state || st.Running != tc.running {
			t.Errorf("got %q %v, want %q %v", st.State, st.Running, tc.state, tc.running)
		}
	}
}

func TestParseSystemctlShow(t *testing.T) {
	var st Status
	parseSystemctlShow([]byte("LoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\nActiveEnterTimestamp=n/a\n"), &st)
	if st.State != "not loaded" || st.Running || !st.Known {
		t.Errorf("got %+v", st)
	}
	st = Status{}
	parseSystemctlShow([]byte("LoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\nActiveEnterTimestamp=Tue 2026-11-24 10:00:00 UTC\n"), &st)
	if st.State != "failed" || st.Running || !st.Since.Equal(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v", st)
	}
}

// TestPackageUnitGolden checks the unit the deb and rpm install, and that
// it is the --system unit for the same binary apart from its header.
func TestPackageUnitGolden(t *testing.T) {
	unit, err := PackageUnit("/usr/bin/pb")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "linux-package.service.golden", unit)

	m := newTestManager(t, Options{GOOS: "linux", Binary: "/usr/bin/pb", DataDir: "/var/lib/packetbuddy", System: true})
	_, installed, _, err := m.Definition()
	if err != nil {
		t.Fatal(err)
	}
	body := func(b []byte) string {
		s := string(b)
		return s[strings.Index(s, "# No secret"):]
	}
	if body(unit) != body(installed) {
		t.Errorf("the packaged unit differs from \"pb service install --system\"'s beyond the header:\n%s\n---\n%s", unit, installed)
	}
	if !strings.HasPrefix(string(unit), "# PacketBuddy, installed by the pb package") || strings.Contains(string(unit), "pb service uninstall") {
		t.Errorf("the packaged unit's header does not name the package:\n%s", unit)
	}
	if _, err := PackageUnit("pb"); err == nil {
		t.Error("PackageUnit accepted a relative binary path")
	}
}
