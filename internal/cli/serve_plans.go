package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/notify"
	"github.com/packetbuddy/pb/internal/plan"
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
	logf := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	pa := &planAlerts{}
	a := d.cfg.Alerts
	if a.WebhookURL != "" {
		w := &notify.Webhook{URL: a.WebhookURL, Format: notify.WebhookFormat(a.WebhookFormat)}
		if a.WebhookToken != "" {
			w.Headers = map[string]string{"Authorization": "Bearer " + a.WebhookToken}
		}
		pa.notifiers = append(pa.notifiers, notify.NewNotifier(notify.NotifierOptions{Log: logf}, w))
	}
	if a.Desktop {
		// Best effort and once: a desktop without a notification daemon
		// will not grow one by retrying.
		pa.notifiers = append(pa.notifiers, notify.NewNotifier(notify.NotifierOptions{Attempts: 1, Log: logf}, notify.NewDesktop()))
	}
	pa.tracker = &plan.Tracker{
		Specs: d.cfg.Plans, Loc: d.loc, Days: d.store, Pending: d.monitor.Pending,
		State: d.store.PlanState(), History: d.store, Log: log,
		Notify: func(al plan.Alert) {
			for _, n := range pa.notifiers {
				if !n.Send(al) {
					log.Warn("plan alert dropped: the delivery queue is full", "plan", al.Plan)
				}
			}
		},
	}
	log.Info("data plans", "plans", len(d.cfg.Plans), "webhook", a.WebhookURL != "", "desktop", a.Desktop)
	return pa
}

// run checks the plans every planCheckInterval until ctx ends, then gives
// queued deliveries a few seconds to finish.
func (pa *planAlerts) run(ctx context.Context) {
	pa.tracker.Run(ctx, planCheckInterval, time.Now)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, n := range pa.notifiers {
		_ = n.Close(cctx) // undelivered alerts stay in the history
	}
}
