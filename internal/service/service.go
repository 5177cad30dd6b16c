// Package service installs and controls pb serve as a background service:
// a systemd user unit on Linux (or a system unit with --system), a
// LaunchAgent on macOS, and a Task Scheduler logon task on Windows (or a
// Windows service with --system).
//
// Definitions are rendered from text/template with every value escaped for
// its format, and every change is first built as a Plan, so a dry run shows
// exactly the files and commands that a real run would write and run.
// Service manager tools are called through a Runner; this is the only
// package of pb that starts processes.
//
// Nothing secret is ever written into a definition: the generated command
// line holds only the binary, the data directory and (when given) the
// config file path. The sync database URL stays in the 0600 config file or
// the environment the user gives the service manager.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// goosOfHost is the OS pb runs on; tests render other OSes through
// Options.GOOS.
const goosOfHost = runtime.GOOS

// Action is what the user asked the service manager to do.
type Action string

// The actions of "pb service".
const (
	Install   Action = "install"
	Uninstall Action = "uninstall"
	Start     Action = "start"
	Stop      Action = "stop"
	Restart   Action = "restart"
)

// Actions lists the actions that build a Plan ("status" only reads).
var Actions = []Action{Install, Uninstall, Start, Stop, Restart}

// Names of the installed service on each manager.
const (
	UnitName   = "packetbuddy.service" // systemd
	LaunchdID  = "com.packetbuddy.pb"  // launchd label and plist name
	TaskName   = "PacketBuddy"         // Task Scheduler
	WindowsSvc = "PacketBuddy"         // Windows service (SCM)
)

// Errors a caller may want to tell apart.
var (
	// ErrNoServiceManager means the service manager cannot be reached here
	// (no systemd user session in a container, no GUI login on macOS...).
	ErrNoServiceManager = errors.New("service manager unavailable")
	// ErrNotInstalled is returned by start/stop/restart before install.
	ErrNotInstalled = errors.New("the service is not installed (run \"pb service install\")")
	// ErrNotSupported is a combination this OS does not offer.
	ErrNotSupported = errors.New("not supported")
)

// Options describe the service to install and the machine it goes on.
// Binary and DataDir are required; New fills the rest from the defaults.
type Options struct {
	// GOOS selects the service manager; default the OS pb runs on.
	GOOS string
	// Binary is the absolute path of the pb executable the service runs.
	Binary string
	// DataDir is the absolute data directory passed as --data-dir.
	DataDir string
	// ConfigPath, when set, is passed as --config. Only the path goes into
	// the definition, never the file's contents.
	ConfigPath string
	// System installs a machine-wide service (systemd system unit, Windows
	// service) instead of a per-user one. It needs root / Administrator.
	System bool
	// Purge makes Uninstall also delete DataDir (the database, config and
	// logs). Without it the user's data stays.
	Purge bool
	// Home is the user's home directory; ConfigHome is $XDG_CONFIG_HOME
	// (default Home/.config). They place the per-user definitions.
	Home       string
	ConfigHome string
	// User is the account name: the Linux user (for the linger check) or
	// DOMAIN\user on Windows (the task's principal).
	User string
	// UID is the numeric user ID for launchd's gui/<uid> domain.
	UID int
	// Runner runs the manager tools; default ExecRunner.
	Runner Runner

	// Test and packaging hooks, all defaulting to the real locations.
	systemUnitDir string // /etc/systemd/system
	lingerDir     string // /var/lib/systemd/linger
	userUnitDir   string // ConfigHome/systemd/user
	runtimeEnable bool   // systemctl enable/disable --runtime (tests on a real user manager)
	packaged      bool   // the system unit a package installs (PackageUnit)
	scm           scmAPI // the Windows service manager
}

// Status is what "pb service status" reports.
type Status struct {
	// Manager names the mechanism, e.g. "systemd user unit packetbuddy.service".
	Manager string
	// Definition is the path of the unit, plist or task file.
	Definition string
	Installed  bool
	// Running is meaningful only when Known is true: the manager answered.
	Known   bool
	Running bool
	// State is the manager's own word for the state ("active (running)",
	// "failed", "Ready"...), shown as is.
	State string
	PID   int
	// Since is when the service entered its current state (zero if unknown).
	Since time.Time
	// Logs tells where the logs are: a command or a file.
	Logs string
	// Problem explains why Known is false (the manager is unreachable).
	Problem string
}

// backend is one service manager.
type backend interface {
	// describe names the mechanism for messages.
	describe() string
	// definition renders the unit, plist or task (path and exact bytes).
	definition() (path string, content []byte, text string, err error)
	// plan builds the steps of an action.
	plan(a Action) (*Plan, error)
	// available returns nil when the manager can be used here.
	available(ctx context.Context) error
	// installed reports whether the definition is in place.
	installed(ctx context.Context) (bool, error)
	// status asks the manager about the service.
	status(ctx context.Context) (Status, error)
}

// Manager installs and controls pb as a service on one OS.
type Manager struct {
	opts Options
	b    backend
}

// New checks the options and picks the service manager for opts.GOOS.
func New(opts Options) (*Manager, error) {
	if opts.GOOS == "" {
		opts.GOOS = goosOfHost
	}
	if opts.Runner == nil {
		opts.Runner = ExecRunner{}
	}
	if !isAbs(opts.GOOS, opts.Binary) {
		return nil, fmt.Errorf("service: the pb binary path must be absolute, got %q", opts.Binary)
	}
	if !isAbs(opts.GOOS, opts.DataDir) {
		return nil, fmt.Errorf("service: the data directory must be absolute, got %q", opts.DataDir)
	}
	if opts.ConfigPath != "" && !isAbs(opts.GOOS, opts.ConfigPath) {
		return nil, fmt.Errorf("service: the config path must be absolute, got %q", opts.ConfigPath)
	}
	if opts.System && opts.Home != "" && within(opts.GOOS, opts.Binary, opts.Home) {
		return nil, fmt.Errorf("service: --system runs pb under its own account, which cannot read %s in your home directory; copy pb to %s first", opts.Binary, systemBinaryHint(opts.GOOS))
	}
	if opts.System && opts.GOOS == "linux" {
		for _, home := range []string{"/home", "/root", "/run/user"} {
			if within(opts.GOOS, opts.Binary, home) {
				return nil, fmt.Errorf("service: --system hides %s from the service (ProtectHome=yes), so it cannot run %s; copy pb to %s first", home, opts.Binary, systemBinaryHint(opts.GOOS))
			}
		}
	}
	m := &Manager{opts: opts}
	switch {
	case opts.GOOS == "linux":
		m.b = newSystemd(&m.opts)
	case opts.GOOS == "darwin" && !opts.System:
		m.b = newLaunchd(&m.opts)
	case opts.GOOS == "darwin":
		return nil, fmt.Errorf("service: --system on macOS: %w; the per-user LaunchAgent (without --system) runs pb from login", ErrNotSupported)
	case opts.GOOS == "windows" && !opts.System:
		m.b = newSchtasks(&m.opts)
	case opts.GOOS == "windows":
		m.b = newWindowsService(&m.opts)
	default:
		return nil, fmt.Errorf("service: %s: %w; run \"pb serve\" under your own supervisor", opts.GOOS, ErrNotSupported)
	}
	return m, nil
}

func systemBinaryHint(goos string) string {
	if goos == "windows" {
		return `C:\Program Files\PacketBuddy\pb.exe`
	}
	return "/usr/local/bin/pb"
}

// Describe names the mechanism, e.g. "systemd user unit packetbuddy.service".
func (m *Manager) Describe() string { return m.b.describe() }

// Definition renders the unit, plist or task file: its path, its exact
// bytes, and the same as UTF-8 text.
func (m *Manager) Definition() (path string, content []byte, text string, err error) {
	return m.b.definition()
}

// Plan builds the steps of an action without doing anything.
func (m *Manager) Plan(a Action) (*Plan, error) {
	p, err := m.b.plan(a)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", a, err)
	}
	p.Action = a
	return p, nil
}

// Available returns nil when the service manager can be used here, and an
// error wrapping ErrNoServiceManager that says why otherwise.
func (m *Manager) Available(ctx context.Context) error { return m.b.available(ctx) }

// Status asks the service manager about the service. An unreachable
// manager is not an error: Status.Known is false and Problem says why.
func (m *Manager) Status(ctx context.Context) (Status, error) { return m.b.status(ctx) }

// Do carries out an action: with dryRun it only prints the plan; otherwise
// it checks that the manager is reachable (and, for start/stop/restart,
// that the service is installed), applies the plan and prints each step
// and the notes to w.
func (m *Manager) Do(ctx context.Context, a Action, dryRun bool, w io.Writer) error {
	p, err := m.Plan(a)
	if err != nil {
		return err
	}
	if dryRun {
		fmt.Fprintf(w, "# dry run of \"pb service %s\" (%s): nothing is changed.\n", a, m.b.describe())
		p.Render(w, m.opts.GOOS)
		return nil
	}
	if m.opts.System && m.opts.GOOS == "linux" && goosOfHost == "linux" && os.Geteuid() != 0 {
		return fmt.Errorf("service %s --system changes /etc/systemd/system: run it as root (sudo pb service %s --system)", a, a)
	}
	if err := m.b.available(ctx); err != nil {
		return err
	}
	if a == Start || a == Stop || a == Restart {
		ok, err := m.b.installed(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotInstalled
		}
	}
	if err := p.apply(ctx, m.opts.Runner, m.opts.GOOS, w); err != nil {
		return fmt.Errorf("service %s: %w", a, err)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// serveArgs is the command line the service runs.
func (o *Options) serveArgs() []string {
	args := []string{o.Binary, "serve", "--data-dir", o.DataDir}
	if o.ConfigPath != "" {
		args = append(args, "--config", o.ConfigPath)
	}
	return args
}

// LogFile is where pb serve's log goes when no service manager collects
// its output: on macOS launchd appends stdout and stderr to it, and on
// Windows pb serve must open it itself when it runs as a service or a
// logon task (see DetachConsole).
func LogFile(dataDir string) string {
	return joinPath(goosOfHost, dataDir, "logs", "pb.log")
}

func logFileFor(goos, dataDir string) string {
	return joinPath(goos, dataDir, "logs", "pb.log")
}

// SystemDataDir is the data directory of a --system install on goos:
// /var/lib/packetbuddy (a systemd StateDirectory) on Linux and
// %ProgramData%\PacketBuddy on Windows.
func SystemDataDir(goos string, getenv func(string) string) string {
	if goos == "windows" {
		pd := getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return joinPath(goos, pd, "PacketBuddy")
	}
	return "/var/lib/packetbuddy"
}

// purgeStep removes the data directory, refusing directories that are
// obviously not pb's own (a mistyped --data-dir pointing at a home).
func (o *Options) purgeStep() (Step, error) {
	d := o.DataDir
	clean := strings.TrimRight(strings.ReplaceAll(d, `\`, "/"), "/")
	if clean == "" || strings.Count(clean, "/") < 2 && !strings.Contains(strings.ToLower(clean), "packetbuddy") ||
		(o.Home != "" && within(o.GOOS, o.Home, d)) {
		return Step{}, fmt.Errorf("--purge: refusing to delete %s: it does not look like a pb data directory", d)
	}
	return Step{Kind: StepPurge, Path: d}, nil
}

// fileExists reports whether path exists.
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}
