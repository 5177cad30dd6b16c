// Package cli is the pb command line: one file per command group, each a
// function taking the parsed arguments and an Env, so tests run commands
// in-process with their own streams, environment and clock.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/config"
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time // default time.Now
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed at run time
	exitUsage = 2 // the command line was wrong
)

// usageError is a mistake on the command line: exit code 2 and a hint.
type usageError struct{ msg, cmd string }

func (e *usageError) Error() string { return e.msg }

func usagef(cmd, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), cmd: cmd}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env) error
}

func commands() []command {
	return []command{
		{"serve", "run the daemon: count traffic, serve the API and dashboard", runServe},
		{"today", "today's traffic, peak speed and cost", runToday},
		{"month", "a month day by day (default this month)", runMonth},
		{"summary", "lifetime totals", runSummary},
		{"range", "the days from --from to --to", runRange},
		{"hours", "one day hour by hour (default today)", runHours},
		{"days", "the last N days (default 30)", runDays},
		{"years", "every year (--months: and its months)", runYears},
		{"top", "the N busiest days (default 10)", runTop},
		{"plan", "data plans: used, remaining, forecast, cost", runPlan},
		{"check", "exit non-zero when a data plan nears its cap (for cron)", runCheck},
		{"interfaces", "every interface, counted or not, with its traffic", runInterfaces},
		{"events", "the event log: spikes, resets, restarts, gaps", runEvents},
		{"live", "live speed per interface (q to quit)", runLive},
		{"status", "is the daemon running? data, database, last flush, sync", runStatus},
		{"storage", "database size and rows; cleanup [--dry-run] of old detail", runStorage},
		{"export", "export as json, csv, llm, html or md", runExport},
		{"import", "import history from PacketBuddy 1.x or vnStat", runImport},
		{"completion", "bash | zsh | fish | powershell: shell completion script", runCompletion},
		{"config", "init | show | path: manage the config file", runConfig},
		{"service", "install | uninstall | start | stop | restart | status: run pb serve in the background", runService},
		{"sync", "status | now: fleet sync to PostgreSQL", runSync},
		{"devices", "the fleet's devices and their traffic (needs sync)", runDevices},
		{"update", "check for, install or roll back a signed release", runUpdate},
		{"version", "print the version", runVersion},
	}
}

const mainUsage = `pb — PacketBuddy, a network usage monitor.

Usage:
  pb <command> [flags]

Commands:
%s
Every command takes --config FILE and --data-dir DIR (also PB_CONFIG and
PB_DATA_DIR; the default data directory is ~/.packetbuddy). Run
"pb <command> --help" for a command's flags.
`

func printMainUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, b.String())
}

// Run runs the command named by args[0] and returns the process exit code.
// Errors are printed to Stderr as one sentence; never a stack trace.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if len(args) == 0 {
		printMainUsage(env.Stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		printMainUsage(env.Stdout)
		return exitOK
	case "-v", "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], env)
		var ue *usageError
		var ec *exitCodeError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ec):
			if ec.msg != "" {
				fmt.Fprintf(env.Stderr, "pb %s: %s\n", c.name, ec.msg)
			}
			return ec.code
		case errors.As(err, &ue):
			fmt.Fprintf(env.Stderr, "pb %s: %s\nRun \"pb %s --help\" for usage.\n", c.name, ue.msg, c.name)
			return exitUsage
		default:
			fmt.Fprintf(env.Stderr, "pb %s: %s\n", c.name, err)
			return exitError
		}
	}
	fmt.Fprintf(env.Stderr, "pb: unknown command %q. Run \"pb help\" for the list of commands.\n", name)
	return exitUsage
}

// commonFlags are the flags every command takes.
type commonFlags struct {
	configPath string
	dataDir    string
}

// newFlagSet makes a command's flag set with the common flags, a usage text
// and errors returned rather than printed.
func newFlagSet(name, synopsis, help string, env Env, common *commonFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("pb "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if common != nil {
		fs.StringVar(&common.configPath, "config", "", "config `file` (default <data-dir>/config.toml; env PB_CONFIG)")
		fs.StringVar(&common.dataDir, "data-dir", "", "data `directory` (default ~/.packetbuddy; env PB_DATA_DIR)")
	}
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: pb %s %s\n\n%s\n", name, synopsis, strings.TrimSpace(help))
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		if b.Len() > 0 {
			fmt.Fprintf(env.Stdout, "\nFlags:\n%s", b.String())
		}
	}
	return fs
}

// parse parses args; -h prints the usage to Stdout (FlagSet.Parse calls
// fs.Usage itself) and returns flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string, cmd string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef(cmd, "%s", err)
	}
	return nil
}

// options turns the common flags into config options.
func (c commonFlags) options(env Env) config.Options {
	return config.Options{DataDir: c.dataDir, ConfigPath: c.configPath, Getenv: env.Getenv}
}

// load reads the configuration the common flags point at: the file (if
// any), then PB_* variables, validated.
func (c commonFlags) load(env Env) (config.Config, error) {
	return config.LoadWith(c.options(env))
}
