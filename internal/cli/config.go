package cli

import (
	"context"
	"fmt"

	"github.com/packetbuddy/pb/internal/config"
)

const configHelp = `
Manage the configuration file (TOML; by default <data-dir>/config.toml).

  pb config init [--force]   write a commented config file with every default
  pb config show             print the effective configuration (file, then
                             PB_* environment overrides), secrets masked
  pb config path             print where the config file is (or would be)`

func runConfig(_ context.Context, args []string, env Env) error {
	var common commonFlags
	fs := newFlagSet("config", "init|show|path [flags]", configHelp, env, &common)
	force := fs.Bool("force", false, "with init: overwrite an existing config file")
	if err := parse(fs, args, "config"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("config", "missing subcommand: init, show or path")
	}
	sub := fs.Arg(0)
	// Flags may also follow the subcommand: pb config init --force.
	if err := parse(fs, fs.Args()[1:], "config"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("config", "unexpected argument %q", fs.Arg(0))
	}
	paths, err := common.options(env).Paths()
	if err != nil {
		return err
	}
	path := paths.Config
	switch sub {
	case "path":
		fmt.Fprintln(env.Stdout, path)
		return nil
	case "init":
		if err := config.WriteTemplate(path, *force); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", path)
		return nil
	case "show":
		cfg, err := common.load(env)
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
		fmt.Fprint(env.Stdout, text)
		return nil
	}
	return usagef("config", "unknown subcommand %q: use init, show or path", sub)
}
