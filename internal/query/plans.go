package query

import (
	"context"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
)

// Plans evaluates every configured plan at now, in configuration order,
// with the unwritten traffic included. The tracker lives as long as the
// engine, so settled days are read once.
func (e *Engine) Plans(ctx context.Context, now time.Time) ([]plan.Spec, []plan.Status, error) {
	st, err := e.plans.Statuses(ctx, now)
	return e.specs, st, err
}

// PlanAlerts returns the latest limit alerts fired, newest first.
func (e *Engine) PlanAlerts(ctx context.Context, limit int) ([]plan.AlertRecord, error) {
	return e.st.PlanAlerts(ctx, limit)
}
