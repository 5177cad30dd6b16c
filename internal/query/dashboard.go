package query

import (
	"context"
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// FirstScreen is what a front end shows first, read in one call: today,
// this month by day, lifetime and the interfaces. The dashboard draws its
// first frame from it (GET /api/dashboard) instead of waiting for one
// request per card.
type FirstScreen struct {
	Today      Day
	Month      Month
	Lifetime   Lifetime
	Interfaces Interfaces
}

// FirstScreen reads the first screen at now; live (may be nil) are the
// interfaces' current rates. Each part is exactly what its own method
// answers, so the first frame and the later refreshes agree.
func (e *Engine) FirstScreen(ctx context.Context, now time.Time, live []LiveRate) (FirstScreen, error) {
	var fs FirstScreen
	var err error
	if fs.Today, err = e.Today(ctx, now); err != nil {
		return fs, fmt.Errorf("first screen: %w", err)
	}
	first := usage.Date{Year: fs.Today.Date.Year, Month: fs.Today.Date.Month, Day: 1}
	if fs.Month, err = e.Month(ctx, now, first); err != nil {
		return fs, fmt.Errorf("first screen: %w", err)
	}
	if fs.Lifetime, err = e.Lifetime(ctx, now); err != nil {
		return fs, fmt.Errorf("first screen: %w", err)
	}
	if fs.Interfaces, err = e.Interfaces(ctx, now, live); err != nil {
		return fs, fmt.Errorf("first screen: %w", err)
	}
	return fs, nil
}
