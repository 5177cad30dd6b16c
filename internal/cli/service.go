package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/service"
)

const serviceHelp = `
Run pb serve in the background, started at login (or at boot with --system)
and restarted if it crashes:

  Linux    a systemd user unit, ~/.config/systemd/user/packetbuddy.service
           (--system: /etc/systemd/system/packetbuddy.service, run by a
           dynamic "packetbuddy" user, data in /var/lib/packetbuddy; as root)
  macOS    a LaunchAgent, ~/Library/LaunchAgents/com.packetbuddy.pb.plist
  Windows  a Task Scheduler task run at your logon, no administrator needed
           (--system: a Windows service, from an elevated shell)

The service runs this pb binary with this data directory (and --config when
you gave one). No secret goes into the definition: the sync database URL
stays in the 0600 config file. --dry-run prints exactly the files and
commands an action would write and run, and changes nothing.`

// Test hooks: the binary the service runs and the Runner for the manager
// tools.
var (
	serviceExecutable = os.Executable
	serviceRunner     = func() service.Runner { return service.ExecRunner{} }
)

// serviceOpts are pb service's flags.
type serviceOpts struct {
	common                         commonFlags
	dryRun, system, purge, jsonOut bool
}

// serviceFlags defines pb service's flags.
func serviceFlags(env Env) (*flag.FlagSet, *serviceOpts) {
	o := new(serviceOpts)
	fs := newFlagSet("service", env, &o.common)
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the files and commands instead of changing anything")
	fs.BoolVar(&o.system, "system", false, "machine-wide service run by its own account (needs root / an elevated shell)")
	fs.BoolVar(&o.purge, "purge", false, "with uninstall: also delete the data directory (database, config, logs)")
	fs.BoolVar(&o.jsonOut, "json", false, "with status: print JSON")
	return fs, o
}

func runService(ctx context.Context, args []string, env Env) error {
	fs, o := serviceFlags(env)
	// Flags may come before or after the action.
	if err := parse(fs, args, "service"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("service", "name an action: install, uninstall, start, stop, restart or status")
	}
	action := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:], "service"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("service", "unexpected argument %q", fs.Arg(0))
	}
	known := action == "status"
	for _, a := range service.Actions {
		known = known || string(a) == action
	}
	if !known {
		return usagef("service", "unknown action %q: use install, uninstall, start, stop, restart or status%s", action, actionHint("service", action))
	}
	if o.purge && action != "uninstall" {
		return usagef("service", "--purge goes with uninstall")
	}
	if o.jsonOut && action != "status" {
		return usagef("service", "--json goes with status")
	}

	m, err := newServiceManager(o.common, env, o.system, o.purge, o.dryRun)
	if err != nil {
		return err
	}
	if action == "status" {
		return printServiceStatus(ctx, m, env, o.jsonOut)
	}
	err = m.Do(ctx, service.Action(action), o.dryRun, env.Stdout)
	if errors.Is(err, service.ErrNotInstalled) && !o.system && runtime.GOOS != "darwin" {
		err = fmt.Errorf("%w (or add --system if it was installed machine-wide)", err)
	}
	return err
}

// newServiceManager gathers what the service package needs from the flags,
// the environment and the running binary.
func newServiceManager(common commonFlags, env Env, system, purge, dryRun bool) (*service.Manager, error) {
	o := service.Options{System: system, Purge: purge, Runner: serviceRunner()}
	exe, err := serviceExecutable()
	if err != nil {
		return nil, fmt.Errorf("find the pb binary: %w", err)
	}
	// "go run" and "go test" binaries live in the build cache and vanish.
	if strings.Contains(exe, "go-build") && !dryRun {
		return nil, fmt.Errorf("this pb (%s) is a temporary \"go run\" build; build or install pb and run that binary's \"pb service install\"", exe)
	}
	o.Binary = exe

	if system {
		if common.dataDir != "" || env.Getenv("PB_DATA_DIR") != "" {
			return nil, usagef("service", "--system uses its own data directory (%s); drop --data-dir / PB_DATA_DIR", service.SystemDataDir(runtime.GOOS, env.Getenv))
		}
		o.DataDir = service.SystemDataDir(runtime.GOOS, env.Getenv)
	}
	paths, err := common.options(env).Paths()
	if err != nil {
		return nil, err
	}
	if !system {
		o.DataDir = paths.DataDir
	}
	if paths.Explicit {
		o.ConfigPath = paths.Config
	}

	o.Home = env.Getenv("HOME")
	if runtime.GOOS == "windows" {
		o.Home = env.Getenv("USERPROFILE")
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	o.ConfigHome = env.Getenv("XDG_CONFIG_HOME")
	o.UID = os.Getuid()
	if runtime.GOOS == "windows" {
		if d, u := env.Getenv("USERDOMAIN"), env.Getenv("USERNAME"); u != "" {
			o.User = u
			if d != "" {
				o.User = d + `\` + u
			}
		}
	} else {
		o.User = env.Getenv("USER")
	}
	if o.User == "" {
		if u, err := user.Current(); err == nil {
			o.User = u.Username
		}
	}
	return service.New(o)
}

func printServiceStatus(ctx context.Context, m *service.Manager, env Env, asJSON bool) error {
	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		type out struct {
			Manager    string     `json:"manager"`
			Definition string     `json:"definition,omitempty"`
			Installed  bool       `json:"installed"`
			Running    *bool      `json:"running"` // null when unknown
			State      string     `json:"state,omitempty"`
			PID        int        `json:"pid,omitempty"`
			Since      *time.Time `json:"since,omitempty"`
			Logs       string     `json:"logs"`
			Problem    string     `json:"problem,omitempty"`
		}
		o := out{Manager: st.Manager, Definition: st.Definition, Installed: st.Installed, State: st.State, PID: st.PID, Logs: st.Logs, Problem: st.Problem}
		if st.Known {
			o.Running = &st.Running
		}
		if !st.Since.IsZero() {
			o.Since = &st.Since
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(o)
	}
	w := env.Stdout
	fmt.Fprintf(w, "service:   %s\n", st.Manager)
	switch {
	case st.Installed && st.Definition != "":
		fmt.Fprintf(w, "installed: yes (%s)\n", st.Definition)
	case st.Installed:
		fmt.Fprintf(w, "installed: yes\n")
	default:
		fmt.Fprintf(w, "installed: no (\"pb service install\" installs it)\n")
	}
	switch {
	case !st.Known:
		fmt.Fprintf(w, "running:   unknown: %s\n", st.Problem)
	case st.Running:
		line := "yes"
		if st.PID > 0 {
			line += fmt.Sprintf(", pid %d", st.PID)
		}
		if !st.Since.IsZero() {
			line += fmt.Sprintf(", since %s (%s ago)", st.Since.Local().Format("2006-01-02 15:04:05 MST"), env.now().Sub(st.Since).Round(time.Second))
		}
		fmt.Fprintf(w, "running:   %s\n", line)
	default:
		line := "no"
		if st.State != "" {
			line += " (" + st.State + ")"
		}
		if !st.Since.IsZero() {
			line += fmt.Sprintf(" since %s", st.Since.Local().Format("2006-01-02 15:04:05 MST"))
		}
		fmt.Fprintf(w, "running:   %s\n", line)
	}
	fmt.Fprintf(w, "logs:      %s\n", st.Logs)
	return nil
}
