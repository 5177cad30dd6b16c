package cli

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/packetbuddy/pb/internal/apps"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/monitor"
)

// openAppSource opens the per-app counters; tests replace it to make the
// kernel refuse.
var openAppSource = apps.Open

// openApps switches per-app counting on when [apps] enabled is set. When
// it is off, or the kernel refuses (no rights, no BTF, no cgroup v2, not
// Linux), it returns nil and the daemon counts interfaces as before; a
// refusal is one notice in the log that says why and what to do.
func openApps(cfg config.Apps, log *slog.Logger) *apps.Splitter {
	if !cfg.Enabled {
		return nil
	}
	src, err := openAppSource()
	if err != nil {
		msg := err.Error()
		if errors.Is(err, apps.ErrUnsupported) {
			msg = "per-app usage is off: " + msg
		}
		log.Warn(msg + "; interface counting goes on as usual")
		return nil
	}
	log.Info("per-app usage is on", "retention_days", cfg.RetentionDays)
	return apps.NewSplitter(src, apps.NewResolver(os.DirFS("/proc")), log.With("component", "apps"))
}

// appSplitter is s as the monitor's hook: a nil interface when off, so the
// monitor does nothing per poll for it.
func appSplitter(s *apps.Splitter) monitor.AppSplitter {
	if s == nil {
		return nil
	}
	return s
}

// closeApps detaches the counting programs at stop.
func (d *daemon) closeApps() {
	if d.apps == nil {
		return
	}
	if err := d.apps.Close(); err != nil {
		d.log.Warn("detach per-app counting", "err", err)
	}
}

// pruneApps deletes per-app traffic older than [apps] retention_days.
func (d *daemon) pruneApps(ctx context.Context) {
	if d.apps == nil {
		return
	}
	before := time.Now().AddDate(0, 0, -d.cfg.Apps.RetentionDays)
	if n, err := d.store.PruneApps(ctx, before); err != nil && ctx.Err() == nil {
		d.log.Error("prune old per-app traffic", "err", err)
	} else if n > 0 {
		d.log.Debug("pruned old per-app traffic", "rows", n)
	}
}
