package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// heavyJoin is an interface that joined a network while carrying a lot.
type heavyJoin struct {
	iface string
	a     usage.Attachment
	rate  monitor.Rate
}

// heavyJoins hands the monitor's OnHeavyJoin calls to runMeteredAlerts
// without blocking the poll (a full queue drops the news: another join
// will be along).
func heavyJoins() (func(string, usage.Attachment, monitor.Rate), chan heavyJoin) {
	ch := make(chan heavyJoin, 4)
	return func(iface string, a usage.Attachment, r monitor.Rate) {
		select {
		case ch <- heavyJoin{iface, a, r}:
		default:
		}
	}, ch
}

// runMeteredAlerts alerts when an interface joined a metered network
// while something heavy ran, until ctx ends. It waits on the channel: no
// timer wakes it.
func (d *daemon) runMeteredAlerts(ctx context.Context, joins <-chan heavyJoin) {
	log := d.log.With("component", "networks")
	ns := d.notifiers(log)
	send := sendAll(ns, log)
	defer closeNotifiers(ctx, ns)
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-joins:
			al, ok, err := meteredAlert(ctx, d.store.Networks, j, d.cfg.Display.UnitBase())
			if err != nil {
				log.Warn("cannot tell whether the joined network is metered", "err", err)
			}
			if ok {
				log.Warn(al.Message)
				send(al)
			}
		}
	}
}

// meteredAlert is the alert for j when its network is marked metered.
func meteredAlert(ctx context.Context, networks func(context.Context) ([]usage.Network, error), j heavyJoin, base units.Base) (plan.Alert, bool, error) {
	nets, err := networks(ctx)
	if err != nil {
		return plan.Alert{}, false, err
	}
	fp := j.a.Fingerprint()
	i := slices.IndexFunc(nets, func(n usage.Network) bool { return slices.Contains(n.Fingerprints, fp) })
	if i < 0 || !nets[i].Metered {
		return plan.Alert{}, false, nil
	}
	speed := units.FormatSpeedBase(j.rate.RxPerSec+j.rate.TxPerSec, base)
	return plan.Alert{Kind: plan.AlertMetered, Title: "Heavy traffic on a metered network",
		Message: fmt.Sprintf("%s joined the metered network %q while %s was moving.", j.iface, nets[i].Name, speed)}, true, nil
}
