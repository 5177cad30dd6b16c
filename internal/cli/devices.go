package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/units"
)

const devicesHelp = `
List the devices of the fleet from the sync database: each device's traffic
today and this month (in that device's own time zone) and in total, over its
counted interfaces, and the sums for all devices. Needs [sync] database_url
(or PB_DATABASE_URL).`

// devicesOpts are pb devices' flags.
type devicesOpts struct {
	common commonFlags
	asJSON bool
	units  string
}

// devicesFlags defines pb devices' flags.
func devicesFlags(env Env) (*flag.FlagSet, *devicesOpts) {
	o := new(devicesOpts)
	fs := newFlagSet("devices", env, &o.common)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	fs.StringVar(&o.units, "units", "", unitsUsage)
	return fs, o
}

func runDevices(ctx context.Context, args []string, env Env) error {
	fs, o := devicesFlags(env)
	if err := parse(fs, args, "devices"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("devices", "unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadWithUnits(&o.common, o.units, env)
	if err != nil {
		return err
	}
	if !cfg.Sync.Enabled() {
		return errors.New(cfg.Sync.OffBecause() + " to see the fleet")
	}
	f, err := pbsync.NewFleet(cfg.Sync.DatabaseURL)
	if err != nil {
		return err
	}
	fu, err := f.Usage(ctx, env.now())
	if err != nil {
		return err
	}
	if o.asJSON {
		return writeJSON(env.Stdout, api.DevicesOf(fu))
	}
	by := func(n uint64) string { return units.FormatBytesBase(n, cfg.Display.UnitBase()) }
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "HOST\tOS\tZONE\tLAST SEEN\tTODAY\tMONTH\tTOTAL\t")
	for _, d := range fu.Devices {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", d.Hostname, d.OSType, d.TimeZone, ago(env.now(), d.LastSeen),
			by(d.Today.Total()), by(d.Month.Total()), by(d.Lifetime.Total()))
	}
	fmt.Fprintf(tw, "all %d devices\t\t\t\t%s\t%s\t%s\t\n", len(fu.Devices),
		by(fu.Today.Total()), by(fu.Month.Total()), by(fu.Lifetime.Total()))
	return tw.Flush()
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}
