package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	dataplan "github.com/packetbuddy/pb/internal/plan"
)

// keyPlanAlerts is the state key of the plans' alert state (JSON).
const keyPlanAlerts = "plan_alerts"

// PlanState returns the store's keeper of the plans' alert state, so which
// alerts fired this cycle survives a restart.
func (s *Store) PlanState() dataplan.StateStore { return planState{s} }

type planState struct{ s *Store }

func (p planState) Load(ctx context.Context) ([]byte, error) {
	v, ok, err := getState(ctx, p.s.r, keyPlanAlerts)
	if err != nil || !ok {
		return nil, err
	}
	return []byte(v), nil
}

func (p planState) Save(ctx context.Context, data []byte) error {
	if p.s.w == nil {
		return ErrReadOnly
	}
	return putState(ctx, p.s.w, keyPlanAlerts, string(data))
}

// AddPlanAlert records a fired alert in the history.
func (s *Store) AddPlanAlert(ctx context.Context, at time.Time, a dataplan.Alert) error {
	if s.w == nil {
		return fmt.Errorf("store: add plan alert: %w", ErrReadOnly)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO plan_alerts
		(ts, plan, kind, threshold, used, cap, forecast, cycle_start, cycle_end, title, message)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at.Unix(), a.Plan, string(a.Kind), a.Threshold, clampInt(a.Used), clampInt(a.Cap), clampInt(a.Forecast),
		a.CycleStart.Unix(), a.CycleEnd.Unix(), a.Title, a.Message)
	if err != nil {
		return fmt.Errorf("store: add plan alert: %w", err)
	}
	return nil
}

// PlanAlerts returns the alert history, newest first, at most limit entries
// (all when limit <= 0).
func (s *Store) PlanAlerts(ctx context.Context, limit int) ([]dataplan.AlertRecord, error) {
	if limit <= 0 {
		limit = -1
	}
	var out []dataplan.AlertRecord
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT ts, plan, kind, threshold, used, cap, forecast, cycle_start, cycle_end, title, message
			FROM plan_alerts ORDER BY ts DESC, id DESC LIMIT ?`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r dataplan.AlertRecord
			var ts, used, capB, forecast, cs, ce int64
			var kind string
			if err := rows.Scan(&ts, &r.Plan, &kind, &r.Threshold, &used, &capB, &forecast, &cs, &ce, &r.Title, &r.Message); err != nil {
				return err
			}
			r.At = time.Unix(ts, 0).UTC()
			r.Kind = dataplan.AlertKind(kind)
			r.Used, r.Cap, r.Forecast = uint64(used), uint64(capB), uint64(forecast)
			if r.Cap > 0 {
				r.Percent = float64(r.Used) / float64(r.Cap) * 100
			}
			r.CycleStart, r.CycleEnd = time.Unix(cs, 0).UTC(), time.Unix(ce, 0).UTC()
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: plan alerts: %w", err)
	}
	return out, nil
}

// clampInt fits a byte count into SQLite's signed 64-bit integers.
func clampInt(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
