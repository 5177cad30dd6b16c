package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/packetbuddy/pb/internal/config"
)

const configHelp = `
Manage the configuration file (TOML; by default <data-dir>/config.toml, or
--config FILE / PB_CONFIG). Every setting can also be set by a PB_*
environment variable, which wins over the file; "pb config init" writes
each setting with its comment and variable.`

// configOpts are pb config's flags.
type configOpts struct {
	common commonFlags
	force  bool
}

// configFlags defines pb config's flags.
func configFlags(env Env) (*flag.FlagSet, *configOpts) {
	o := new(configOpts)
	fs := newFlagSet("config", env, &o.common)
	fs.BoolVar(&o.force, "force", false, "with init: overwrite an existing config file")
	return fs, o
}

func runConfig(_ context.Context, args []string, env Env) error {
	fs, o := configFlags(env)
	if err := parse(fs, args, "config"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("config", "missing subcommand: init, show, path or migrate")
	}
	sub := fs.Arg(0)
	// Flags may also follow the subcommand: pb config init --force.
	if err := parse(fs, fs.Args()[1:], "config"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("config", "unexpected argument %q", fs.Arg(0))
	}
	paths, err := o.common.options(env).Paths()
	if err != nil {
		return err
	}
	path := paths.Config
	switch sub {
	case "path":
		fmt.Fprintln(env.Stdout, path)
		return nil
	case "init":
		if err := config.WriteTemplate(path, o.force); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", path)
		return nil
	case "show":
		cfg, err := o.common.load(env)
		if err != nil {
			return err
		}
		text, err := cfg.TOML()
		if err != nil {
			return err
		}
		if cfg.Path != "" {
			fmt.Fprintf(env.Stdout, "# from %s and the environment\n", cfg.Path)
		} else {
			fmt.Fprintf(env.Stdout, "# no config file at %s: defaults and the environment\n", path)
		}
		if cfg.Is1x() {
			fmt.Fprintf(env.Stdout, "# The file is in PacketBuddy 1.x's format (\"pb config migrate\" rewrites it); its 1.x keys:\n")
			for _, n := range cfg.Legacy {
				fmt.Fprintf(env.Stdout, "#   %s%s: %s\n", n.At(), n.Key, n.Msg)
			}
		}
		fmt.Fprint(env.Stdout, text)
		return nil
	case "migrate":
		notices, err := config.MigrateFile(path)
		if errors.Is(err, config.ErrNot1x) {
			fmt.Fprintf(env.Stdout, "%s is already in pb's format: nothing to migrate\n", path)
			return nil
		}
		if err != nil {
			return err
		}
		for _, n := range notices {
			fmt.Fprintln(env.Stdout, n)
		}
		fmt.Fprintf(env.Stdout, "wrote %s in pb's format; the 1.x file is kept as %s\n", path, path+config.Suffix1x)
		return nil
	}
	return usagef("config", "unknown subcommand %q: use init, show, path or migrate%s", sub, actionHint("config", sub))
}
