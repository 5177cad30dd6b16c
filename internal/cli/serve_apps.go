package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/apps"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/monitor"
)

// openAppSource opens the per-app counters (eBPF) and openSockDiag the
// TCP-only fallback; tests replace them to make the kernel refuse.
var (
	openAppSource = apps.Open
	openSockDiag  = func() (apps.Source, error) { return apps.OpenSockDiag("/proc") }
)

// openApps switches per-app counting on when [apps] enabled is set, with
// [apps] method: eBPF, the TCP-only fallback, or ("auto") eBPF and the
// fallback when eBPF is refused. It returns the splitter and the method in
// use (apps.MethodEBPF or apps.MethodSockDiag), or nil and "off": then the
// daemon counts interfaces as before. Anything short of what was asked for
// is one notice in the log that says why and what to do.
func openApps(cfg config.Apps, log *slog.Logger) (*apps.Splitter, string) {
	if !cfg.Enabled {
		return nil, "off"
	}
	var src apps.Source
	var err error
	method := cfg.Method
	if method != apps.MethodSockDiag {
		src, err = openAppSource()
		if err == nil {
			method = apps.MethodEBPF
		} else if method == "auto" && !errors.Is(err, apps.ErrUnsupported) {
			ebpfErr := err
			var diagErr error
			if src, diagErr = openSockDiag(); diagErr == nil {
				method, err = apps.MethodSockDiag, nil
				log.Warn("per-app usage is limited to TCP: " + strings.TrimPrefix(ebpfErr.Error(), "per-app usage is off: ") +
					"; counting TCP connections from socket diagnostics instead, and UDP (QUIC included) and all other traffic as unattributed" + ownUserOnly())
			} else {
				err = fmt.Errorf("%w; the TCP-only fallback failed too: %s", ebpfErr, strings.TrimPrefix(diagErr.Error(), "per-app usage is off: "))
			}
		}
	} else {
		src, err = openSockDiag()
		if err == nil {
			log.Info("per-app usage counts TCP only ([apps] method = \"sock_diag\"); UDP (QUIC included) and all other traffic is unattributed" + ownUserOnly())
		}
	}
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "per-app usage is off") {
			msg = "per-app usage is off: " + msg
		}
		log.Warn(msg + "; interface counting goes on as usual")
		return nil, "off"
	}
	log.Info("per-app usage is on", "method", method, "retention_days", cfg.RetentionDays)
	return apps.NewSplitter(src, apps.NewResolver(os.DirFS("/proc")), log.With("component", "apps")), method
}

// ownUserOnly is the rest of the fallback's notice when pb does not run as
// root: it can only see which of its own user's processes hold a socket.
func ownUserOnly() string {
	if os.Geteuid() == 0 {
		return ""
	}
	return "; without root only the programs of pb's own user are named, the rest is unattributed"
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
