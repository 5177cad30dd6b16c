package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/packetbuddy/pb/internal/notify"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/query"
)

// planCheckInterval is how often the daemon evaluates the data plans for
// alerts. A minute is the resolution of the stored data; each check reads
// about two months of daily totals per plan, a millisecond or two.
const planCheckInterval = time.Minute

// planAlerts is the daemon's data-plan alerting: a Tracker that owns the
// alert state, and the notifiers it delivers through.
type planAlerts struct {
	tracker   *plan.Tracker
	notifiers []*notify.Notifier
}

// openPlanAlerts builds the alerting for the configured plans; nil when
// there are none. Alerts always go to the log and the alert history; a
// webhook and desktop notifications are added when configured.
func (d *daemon) openPlanAlerts() *planAlerts {
	if len(d.cfg.Plans) == 0 {
		return nil
	}
	log := d.log.With("component", "plans")
	pa := &planAlerts{notifiers: d.notifiers(log)}
	pa.tracker = &plan.Tracker{
		Specs: d.cfg.Plans, Loc: d.loc, Days: d.store, Pending: d.monitor.Pending,
		State: d.store.PlanState(), History: d.store, Log: log,
		Notify: sendAll(pa.notifiers, log),
	}
	a := d.cfg.Alerts
	log.Info("data plans", "plans", len(d.cfg.Plans), "webhook", a.WebhookURL != "", "desktop", a.Desktop)
	return pa
}

// notifiers are the configured alert channels beyond the log: a webhook
// and desktop notifications.
func (d *daemon) notifiers(log *slog.Logger) []*notify.Notifier {
	logf := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	var out []*notify.Notifier
	a := d.cfg.Alerts
	if a.WebhookURL != "" {
		w := &notify.Webhook{URL: a.WebhookURL, Format: notify.WebhookFormat(a.WebhookFormat)}
		if a.WebhookToken != "" {
			w.Headers = map[string]string{"Authorization": "Bearer " + a.WebhookToken}
		}
		out = append(out, notify.NewNotifier(notify.NotifierOptions{Log: logf}, w))
	}
	if a.Desktop {
		// Best effort and once: a desktop without a notification daemon
		// will not grow one by retrying.
		out = append(out, notify.NewNotifier(notify.NotifierOptions{Attempts: 1, Log: logf}, notify.NewDesktop()))
	}
	return out
}

// sendAll hands an alert to every notifier without blocking.
func sendAll(ns []*notify.Notifier, log *slog.Logger) func(plan.Alert) {
	return func(al plan.Alert) {
		for _, n := range ns {
			if !n.Send(al) {
				log.Warn("alert dropped: the delivery queue is full", "kind", al.Kind, "plan", al.Plan)
			}
		}
	}
}

// closeNotifiers gives queued deliveries a few seconds to finish.
func closeNotifiers(ctx context.Context, ns []*notify.Notifier) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, n := range ns {
		_ = n.Close(cctx) // undelivered alerts stay in the history
	}
}

// runUnusual looks for unusual usage until ctx ends (see unusualWatch).
func (d *daemon) runUnusual(ctx context.Context) {
	log := d.log.With("component", "unusual")
	eng := query.New(query.Deps{Store: d.store, Pending: d.monitor, Location: d.loc})
	w := &unusualWatch{find: eng.Unusual, store: d.store, loc: d.loc, base: d.cfg.Display.UnitBase(), log: log}
	var ns []*notify.Notifier
	if d.cfg.Alerts.Unusual {
		ns = d.notifiers(log)
		w.notify = sendAll(ns, log)
	}
	w.run(ctx, time.Now)
	closeNotifiers(ctx, ns)
}

// run checks the plans every planCheckInterval until ctx ends, then gives
// queued deliveries a few seconds to finish.
func (pa *planAlerts) run(ctx context.Context) {
	pa.tracker.Run(ctx, planCheckInterval, time.Now)
	closeNotifiers(ctx, pa.notifiers)
}
