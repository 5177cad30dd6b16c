package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/golden"
)

// needTool returns the path of a program the test runs: a skip locally when
// it is missing, a failure under CI=true (scripts/test-prereqs.sh installs
// it there).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI (scripts/test-prereqs.sh installs it): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// Every command's help is golden, printed once, to stdout only, and
// "pb help CMD" prints exactly the same.
func TestCommandHelpGolden(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runPB(t, nil, c.name, "--help")
			if code != 0 || stderr != "" {
				t.Fatalf("pb %s --help: exit %d, stderr %q", c.name, code, stderr)
			}
			if n := strings.Count(stdout, "Usage: pb "); n != 1 {
				t.Errorf("pb %s --help printed a usage line %d times", c.name, n)
			}
			golden.Check(t, "help/"+c.name+".golden", []byte(stdout))
			code, viaHelp, stderr := runPB(t, nil, "help", c.name)
			if code != 0 || stderr != "" || viaHelp != stdout {
				t.Errorf("pb help %s: exit %d, stderr %q; differs from pb %s --help:\n%s", c.name, code, stderr, c.name, viaHelp)
			}
			for _, l := range strings.Split(stdout, "\n") {
				if len([]rune(l)) > 80 {
					t.Errorf("line wider than 80 columns: %q", l)
				}
			}
			// The Actions section lists each action; the prose must not
			// list them again. (pb completion's prose lists the shells with
			// how to load each script, which the section does not say.)
			want := 1
			if c.name == "completion" {
				want = 2
			}
			for _, a := range c.actions {
				n := 0
				for _, l := range strings.Split(stdout, "\n") {
					if strings.HasPrefix(l, "  "+a.name+"  ") {
						n++
					}
				}
				if n != want {
					t.Errorf("action %s is listed %d times, want %d", a.name, n, want)
				}
			}
		})
	}
}

func TestMainHelpGolden(t *testing.T) {
	_, want, _ := runPB(t, nil, "help")
	golden.Check(t, "help/pb.golden", []byte(want))
	for _, args := range [][]string{{"--help"}, {"-h"}} {
		code, stdout, stderr := runPB(t, nil, args...)
		if code != 0 || stderr != "" || stdout != want {
			t.Errorf("pb %v: exit %d, stderr %q, stdout differs from pb help", args, code, stderr)
		}
	}
	// Bare "pb" is a usage error: the same help, on stderr, exit 2.
	code, stdout, stderr := runPB(t, nil)
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("pb: exit %d, stdout %q, stderr differs from pb help:\n%s", code, stdout, stderr)
	}
	for _, c := range commands() {
		if !strings.Contains(want, "\n  "+c.name+" ") {
			t.Errorf("pb help does not list %s", c.name)
		}
	}
}

// A usage error is exactly the mistake and where to read help, on stderr;
// nothing on stdout; exit 2.
func TestUsageErrorsExact(t *testing.T) {
	env := map[string]string{"PB_DATA_DIR": t.TempDir()}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"today", "--typo"}, "pb today: flag provided but not defined: -typo\nsee 'pb today --help'\n"},
		{[]string{"today", "--jsn"}, "pb today: flag provided but not defined: -jsn (did you mean --json?)\nsee 'pb today --help'\n"},
		{[]string{"month", "--json", "--intrface", "eth0"}, "pb month: flag provided but not defined: -intrface (did you mean --interface?)\nsee 'pb month --help'\n"},
		{[]string{"todya"}, "pb: unknown command \"todya\" (did you mean today?)\nsee 'pb help'\n"},
		{[]string{"frobnicate"}, "pb: unknown command \"frobnicate\"\nsee 'pb help'\n"},
		{[]string{"today", "extra"}, "pb today: unexpected argument \"extra\"\nsee 'pb today --help'\n"},
		{[]string{"today", "--units", "iex"}, "pb today: --units \"iex\": use si or iec (did you mean iec?)\nsee 'pb today --help'\n"},
		{[]string{"today", "--color", "pink"}, "pb today: --color \"pink\": use auto, always or never\nsee 'pb today --help'\n"},
		{[]string{"events", "--limit", "x"}, "pb events: invalid value \"x\" for flag -limit: parse error\nsee 'pb events --help'\n"},
		{[]string{"export", "--format", "pdf"}, "pb export: --format \"pdf\": use json, csv, llm, html or md\nsee 'pb export --help'\n"},
		{[]string{"service", "instal"}, "pb service: unknown action \"instal\": use install, uninstall, start, stop, restart or status (did you mean install?)\nsee 'pb service --help'\n"},
		{[]string{"config", "shwo"}, "pb config: unknown subcommand \"shwo\": use init, show, path or migrate (did you mean show?)\nsee 'pb config --help'\n"},
		{[]string{"sync", "nwo"}, "pb sync: unknown subcommand \"nwo\": use status, now or verify (did you mean now?)\nsee 'pb sync --help'\n"},
		{[]string{"completion", "bsh"}, "pb completion: unknown shell \"bsh\": use bash, zsh, fish or powershell (did you mean bash?)\nsee 'pb completion --help'\n"},
		{[]string{"serve", "--log-level", "loud"}, "pb serve: --log-level \"loud\": use debug, info, warn or error\nsee 'pb serve --help'\n"},
		{[]string{"version", "now"}, "pb version: unexpected argument \"now\"\nsee 'pb version --help'\n"},
		{[]string{"man", "1"}, "pb man: unexpected argument \"1\"\nsee 'pb man --help'\n"},
		{[]string{"help", "nosuch"}, "pb help: unknown command \"nosuch\"\nsee 'pb help'\n"},
		{[]string{"help", "tody"}, "pb help: unknown command \"tody\" (did you mean today?)\nsee 'pb help'\n"},
		{[]string{"help", "today", "month"}, "pb help: unexpected argument \"month\"\nsee 'pb help'\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runPB(t, env, tc.args...)
			if code != 2 || stdout != "" || stderr != tc.want {
				t.Errorf("exit %d, stdout %q\nstderr %q\nwant   %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// The completion scripts come from the command table: flags by their
// proper names, never fragments such as --i or --o.
func TestCompletionSpecs(t *testing.T) {
	specs := completionSpecs()
	seen := map[string]complSpec{}
	for _, s := range specs {
		seen[s.name] = s
		for _, f := range s.flags {
			long := strings.HasPrefix(f.name, "--") && len(f.name) > 3
			short := len(f.name) == 2 && f.name[0] == '-' && f.name[1] != '-'
			if !long && !short {
				t.Errorf("%s: flag spelled %q", s.name, f.name)
			}
		}
	}
	has := func(cmd, flag string) complFlag {
		t.Helper()
		for _, f := range seen[cmd].flags {
			if f.name == flag {
				return f
			}
		}
		t.Errorf("%s has no flag %s", cmd, flag)
		return complFlag{}
	}
	has("today", "-i")
	has("today", "--interface")
	has("export", "-o")
	if f := has("export", "--format"); strings.Join(f.values, " ") != "json csv llm html md" {
		t.Errorf("export --format values %q", f.values)
	}
	if f := has("import", "--from"); strings.Join(f.values, " ") != "packetbuddy vnstat" {
		t.Errorf("import --from values %q", f.values)
	}
	if f := has("range", "--from"); f.values != nil || !f.arg {
		t.Errorf("range --from: %+v", f)
	}
	if f := has("today", "--data-dir"); !f.dir {
		t.Errorf("--data-dir does not complete directories: %+v", f)
	}
	if f := has("export", "--output"); !f.file {
		t.Errorf("--output does not complete files: %+v", f)
	}
	if got := strings.Join(actionNames(seen["service"].actions), " "); got != "install uninstall start stop restart status" {
		t.Errorf("service actions %q", got)
	}
	if len(seen["help"].actions) != len(commands()) {
		t.Errorf("pb help completes %d commands, want %d", len(seen["help"].actions), len(commands()))
	}
}

func TestCompletionGolden(t *testing.T) {
	for _, sh := range shells {
		code, out, errs := runPB(t, nil, "completion", sh)
		if code != 0 || errs != "" {
			t.Fatalf("%s: exit %d %s", sh, code, errs)
		}
		golden.Check(t, "completion/"+sh+".golden", []byte(out))
	}
	if code, out, _ := runPB(t, nil, "completion"); code != 2 || out != "" {
		t.Errorf("no shell: exit %d, stdout %q", code, out)
	}
}

// The bash script, loaded into a real bash, completes commands, actions,
// flags and flag values.
func TestBashCompletion(t *testing.T) {
	bash := needTool(t, "bash")
	_, script, _ := runPB(t, nil, "completion", "bash")
	dir := t.TempDir()
	f := filepath.Join(dir, "pb.bash")
	if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"data/sub", "data/other"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "file.toml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		words string // COMP_WORDS; the last one is completed
		want  string
	}{
		{"command", `pb ser`, "serve service"},
		{"every command", `pb ""`, strings.Join(append(commandNames(), "help"), " ")},
		{"action", `pb service ins`, "install"},
		{"actions", `pb sync ""`, "status now verify"},
		{"no second action", `pb service install ""`, ""},
		{"flag", `pb service install --dr`, "--dry-run"},
		{"short and long flags", `pb today -`, "--color --config --data-dir -i --interface --json --units"},
		{"flag value", `pb export --format h`, "html"},
		{"flag value after =", `pb export --format = ""`, "json csv llm html md"},
		{"flag value after = and a letter", `pb export --format = c`, "csv"},
		{"units", `pb month --units ""`, "si iec"},
		{"import source", `pb import --from v`, "vnstat"},
		{"range --from is a date", `pb range --from ""`, ""},
		{"log level", `pb serve --log-level w`, "warn"},
		{"help topic", `pb help to`, "today top"},
		{"directories", `pb today --data-dir ` + dir + `/data/`, dir + "/data/other " + dir + "/data/sub"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog := `source "$1"
COMP_WORDS=(` + tc.words + `)
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_pb
printf '%s\n' "${COMPREPLY[@]}"`
			out, err := exec.Command(bash, "-c", prog, "bash", f).CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			got := strings.Join(strings.Fields(string(out)), " ")
			if tc.name == "directories" {
				fields := strings.Fields(string(out))
				slices.Sort(fields)
				got = strings.Join(fields, " ")
			}
			if got != tc.want {
				t.Errorf("COMP_WORDS=(%s): got %q, want %q", tc.words, got, tc.want)
			}
		})
	}
}

// The zsh and fish scripts parse; fish's also completes.
func TestZshFishCompletionParse(t *testing.T) {
	for _, sh := range []string{"zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			bin := needTool(t, sh)
			_, script, _ := runPB(t, nil, "completion", sh)
			f := filepath.Join(t.TempDir(), "pb."+sh)
			if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, "-n", f).CombinedOutput(); err != nil {
				t.Fatalf("%s -n: %v\n%s", sh, err, out)
			}
			if sh != "fish" {
				return
			}
			for _, tc := range []struct{ line, want string }{
				{"pb serv", "serve service"},
				{"pb service st", "start status stop"},
				{"pb export --format=h", "--format=html"},
				{"pb today --u", "--units"},
				{"pb import --from ", "packetbuddy vnstat"},
			} {
				out, err := exec.Command(bin, "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, f, tc.line).CombinedOutput()
				if err != nil {
					t.Fatalf("fish: %v\n%s", err, out)
				}
				var got []string
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					got = append(got, strings.SplitN(l, "\t", 2)[0])
				}
				slices.Sort(got)
				if strings.Join(got, " ") != tc.want {
					t.Errorf("fish complete -C %q: %q, want %q", tc.line, got, tc.want)
				}
			}
		})
	}
}

// docs/pb.1 is what pb man prints (go test -update rewrites it), and groff
// reads it without a warning.
func TestManPage(t *testing.T) {
	code, out, errs := runPB(t, nil, "man")
	if code != 0 || errs != "" {
		t.Fatalf("pb man: exit %d, %s", code, errs)
	}
	path := filepath.Join("..", "..", "docs", "pb.1")
	if golden.Updating() {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != out {
		t.Errorf("docs/pb.1 is not what pb man prints: run go test ./internal/cli -run TestManPage -update")
	}
	for _, c := range commands() {
		if !strings.Contains(out, `.SS "pb `+roffOption(c.name)) {
			t.Errorf("the man page has no section for %s", c.name)
		}
	}
	groff := needTool(t, "groff")
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(out)
	if b, err := cmd.CombinedOutput(); err != nil || len(b) > 0 {
		t.Errorf("groff: %v\n%s", err, b)
	}
}
