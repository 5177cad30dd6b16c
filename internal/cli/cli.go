// Package cli is the pb command line: one file per command group, each a
// function taking the parsed arguments and an Env, so tests run commands
// in-process with their own streams, environment and clock.
//
// It is also where the parts are wired: it registers the SQLite driver
// (internal/sqlite) that store opens by name, so store and sync depend on
// no driver.
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
	_ "github.com/packetbuddy/pb/internal/sqlite" // the "sqlite" driver store opens
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
		return runHelp(args[1:], env)
	case "-v", "-version", "--version":
		name = "version"
	}
	c, ok := lookupCommand(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "pb: unknown command %q%s\nsee 'pb help'\n", name, didYouMean(name, commandNames()))
		return exitUsage
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
		fmt.Fprintf(env.Stderr, "pb %s: %s\nsee 'pb %s --help'\n", c.name, ue.msg, c.name)
		return exitUsage
	default:
		fmt.Fprintf(env.Stderr, "pb %s: %s\n", c.name, err)
		return exitError
	}
}

// runHelp is pb help [COMMAND]: the global help, or a command's.
func runHelp(args []string, env Env) int {
	switch len(args) {
	case 0:
		printMainUsage(env.Stdout)
		return exitOK
	case 1:
		c, ok := lookupCommand(args[0])
		if !ok {
			fmt.Fprintf(env.Stderr, "pb help: unknown command %q%s\nsee 'pb help'\n", args[0], didYouMean(args[0], commandNames()))
			return exitUsage
		}
		writeCommandHelp(env.Stdout, c, c.describeFlags())
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "pb help: unexpected argument %q\nsee 'pb help'\n", args[1])
	return exitUsage
}

// commonFlags are the flags every command takes.
type commonFlags struct {
	configPath string
	dataDir    string
}

// newFlagSet makes a command's flag set with the common flags, its help
// from the command table and errors returned rather than printed.
func newFlagSet(name string, env Env, common *commonFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("pb "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if common != nil {
		fs.StringVar(&common.configPath, "config", "", "config `file` (default <data-dir>/config.toml; env PB_CONFIG)")
		fs.StringVar(&common.dataDir, "data-dir", "", "data `directory` (default ~/.packetbuddy; env PB_DATA_DIR)")
	}
	fs.Usage = func() {
		if c, ok := lookupCommand(name); ok {
			writeCommandHelp(env.Stdout, c, fs)
		}
	}
	return fs
}

// parse parses args; -h prints the usage to Stdout and returns
// flag.ErrHelp. A mistake is a usageError (nothing printed here); an
// unknown flag gets a did-you-mean.
func parse(fs *flag.FlagSet, args []string, cmd string) error {
	// FlagSet.Parse calls Usage on a mistake too; only -h prints it.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return err
		}
		msg := err.Error()
		if bad, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			msg += didYouMean(dashed(strings.TrimLeft(bad, "-")), flagNames(fs))
		}
		return usagef(cmd, "%s", msg)
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
