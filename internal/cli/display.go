package cli

import (
	"flag"
	"slices"

	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/units"
)

// The --units flag of the commands that print byte figures: it overrides
// [display] units (PB_DISPLAY_UNITS) for one command.

const unitsUsage = "byte `units`: si (1 KB = 1000 B) or iec (1 KiB = 1024 B) (default: [display] units, si)"

// newFigureFlagSet is newQueryFlagSet with --units, for commands that
// print byte figures.
func newFigureFlagSet(name string, env Env, q *queryFlags) *flag.FlagSet {
	fs := newQueryFlagSet(name, env, q)
	fs.StringVar(&q.units, "units", "", unitsUsage)
	return fs
}

// withUnits applies a --units value (none: "") over cfg's [display] units.
func withUnits(cfg config.Config, u string) (config.Config, error) {
	if u == "" {
		return cfg, nil
	}
	if !slices.Contains(unitBases, u) {
		return cfg, usagef("", "--units %q: use si or iec%s", u, didYouMean(u, unitBases))
	}
	cfg.Display.Units = u
	return cfg, nil
}

// load reads the configuration the common flags point at, with --units.
func (q *queryFlags) load(env Env) (config.Config, error) {
	return loadWithUnits(&q.common, q.units, env)
}

// loadWithUnits reads the configuration c points at, with the --units value
// u over its [display] units. A bad u is reported before the file is read:
// the command line first.
func loadWithUnits(c *commonFlags, u string, env Env) (config.Config, error) {
	if _, err := withUnits(config.Config{}, u); err != nil {
		return config.Config{}, err
	}
	cfg, err := c.load(env)
	if err != nil {
		return cfg, err
	}
	return withUnits(cfg, u)
}

// base is the unit family the command prints in.
func (q *session) base() units.Base { return q.cfg.Display.UnitBase() }

// gbName is the unit the cost rate is per: GB, or GiB with iec units (the
// API counts gb_used in the same base).
func gbName(b units.Base) string {
	if b == units.IEC {
		return "GiB"
	}
	return "GB"
}
