package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// templateHeader opens the file "pb config init" writes.
const templateHeader = `# PacketBuddy configuration.
#
# Every setting is shown with its default value: change what you need and
# leave the rest. Durations are written like "500ms", "30s", "5m" or "1h".
# The environment variable named in a setting's comment overrides it;
# "pb config show" prints the values in effect.
`

// Template returns the commented default config file: every setting with its
// default value and a line on why you would change it. Loading it gives
// exactly Default().
func Template() string {
	c := Default()
	return writeDoc(&c, templateHeader, true)
}

// TOML returns the configuration in effect as TOML, for "pb config show",
// with the database password masked. It loads back to the same settings
// (apart from the masked password).
func (c Config) TOML() (string, error) {
	r := c.Redacted()
	file := "none (built-in defaults)"
	if c.Path != "" {
		file = quote(c.Path)
	}
	dir := "(not set)"
	if c.DataDir != "" {
		dir = quote(c.DataDir)
	}
	header := "# PacketBuddy configuration in effect (file, then PB_* environment variables).\n" +
		"# File: " + file + "\n" +
		"# Data directory: " + dir + "\n"
	return writeDoc(&r, header, false), nil
}

// writeDoc writes c as a TOML document in the order of the settings table,
// with the settings' comments when comments is true.
func writeDoc(c *Config, header string, comments bool) string {
	var b strings.Builder
	b.WriteString(header)
	writeField := func(f field) {
		if comments {
			b.WriteString("\n")
			for _, l := range f.doc {
				b.WriteString("# " + l + "\n")
			}
			b.WriteString("# Environment: " + f.env + "\n")
		}
		b.WriteString(leaf(f.key) + " = " + render(f, c) + "\n")
	}
	for _, f := range fields {
		if section(f.key) == "" {
			writeField(f)
		}
	}
	for _, t := range tables {
		b.WriteString("\n")
		if comments {
			b.WriteString("\n")
			for _, l := range t.doc {
				b.WriteString("# " + l + "\n")
			}
		}
		b.WriteString("[" + t.name + "]\n")
		for _, f := range fields {
			if section(f.key) == t.name {
				writeField(f)
			}
		}
	}
	// Arrays of tables come last: every key after a [[plan]] line belongs
	// to that plan.
	writePlans(&b, c.RawPlans)
	if comments {
		b.WriteString("\n" + templatePlans)
	}
	return b.String()
}

// templatePlans ends the template: a data plan example, commented out
// because a plan is something to set up, not a default. Removing the "# "
// at the start of its lines gives a valid plan (a test checks that).
const templatePlans = `
# Data plans (optional): each [[plan]] table meters a data cap over a billing
# cycle, forecasts when it runs out, prices the traffic and alerts at
# thresholds. Write one [[plan]] table per plan; plans are read from this
# file only (no environment variable sets them). To start, remove the "# "
# at the start of the lines below.
#
# Cycles: "monthly" resets on reset_day (1-31; 31 resets on the last day of
# shorter months, e.g. Feb 28). "days" repeats every every_days days counted
# from start (a prepaid pack renewed every 28 days). "once" is a single pack
# valid from start through expires (both inclusive).
#
# Price it one way: price_per_gb (every GB), or fixed_fee per cycle plus
# overage_per_gb above the cap, or tiers (fixed_fee optional). GB means
# 1,000,000,000 bytes, as carriers bill.
#
# [[plan]]
# name = "Home fibre"              # unique, ignoring case; shown in alerts
# interfaces = ["eth0", "wlan*"]   # globs; left out: the interfaces counted in the total
# #networks = ["Pixel hotspot"]    # only these networks (names from pb networks); left out: all
# cap = "1TB"                      # allowance per cycle, e.g. "50GB", "1.5TiB"; left out: no cap
# cycle = "monthly"                # "monthly", "days" or "once"
# reset_day = 31                   # monthly only; left out: the 1st
# #cycle = "days"                  # instead: every 28 days from 2026-01-15
# #every_days = 28
# #start = "2026-01-15"
# #cycle = "once"                  # or: one pack, start through expires
# #expires = "2026-02-14"
# counts = "rx+tx"                 # what counts: "rx+tx" (both ways), "rx" (downloads) or "max" (the larger)
# offset = "-300MB"                # calibration added to what pb measures, to match the carrier's meter
# currency = "EUR"                 # ISO 4217 code; needed with any price
# fixed_fee = 30.0                 # per cycle,
# overage_per_gb = 2.0             # plus this per GB above the cap
# #price_per_gb = 0.5              # or a flat price per GB
# #tiers = [{ up_to = "10GB", per_gb = 1.0 }, { per_gb = 0.5 }]  # or tiers; the last has no up_to
# thresholds = [50, 80, 90, 100]   # percentages of the cap that alert (these are the default); [] for none
`

// WriteTemplate writes Template() to path for "pb config init": the parent
// directory is created 0700 and the file 0600 (it may later hold a database
// password). An existing file is only replaced when force is set, and then
// atomically, so an interrupted write never leaves half a config.
func WriteTemplate(path string, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config %s: create directory: %w", path, err)
	}
	data := []byte(Template())
	if !force {
		err := writeNew(path, data)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("config %s already exists; pass --force to overwrite it", path)
		}
		if err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
		return nil
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// writeAtomic replaces path by data (0600) through a synced temporary file
// in the same directory and a rename, so an interrupted write never leaves
// half a config.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.toml") // created 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}
