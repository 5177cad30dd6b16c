package api

import (
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// The JSON shapes of api-contract.md. Field names are the v1 API's and must
// not change; new information goes under new names.

// humanReadable is the "human_readable" object of a usage block.
type humanReadable struct {
	Sent      string `json:"sent"`
	Received  string `json:"received"`
	Total     string `json:"total"`
	PeakSpeed string `json:"peak_speed,omitempty"`
}

// usageBlock is the contract's usage block. Sent is transmitted (upload),
// received is received (download). peak_speed is omitted when zero, as v1
// did.
type usageBlock struct {
	BytesSent     uint64        `json:"bytes_sent"`
	BytesReceived uint64        `json:"bytes_received"`
	TotalBytes    uint64        `json:"total_bytes"`
	PeakSpeed     uint64        `json:"peak_speed,omitempty"`
	HumanReadable humanReadable `json:"human_readable"`
}

func (e *Encoder) usageBlock(t usage.Totals, peak uint64) usageBlock {
	b := e.price.Base
	u := usageBlock{
		BytesSent:     t.Tx,
		BytesReceived: t.Rx,
		TotalBytes:    t.Total(),
		PeakSpeed:     peak,
		HumanReadable: humanReadable{
			Sent:     units.FormatBytesBase(t.Tx, b),
			Received: units.FormatBytesBase(t.Rx, b),
			Total:    units.FormatBytesBase(t.Total(), b),
		},
	}
	if peak > 0 {
		u.HumanReadable.PeakSpeed = units.FormatSpeedBase(peak, b)
	}
	return u
}

// costLine is one of upload, download and total in a cost block. cost_inr
// is the v1 name of cost, kept only while the currency is INR.
type costLine struct {
	GBUsed        float64  `json:"gb_used"`
	Cost          float64  `json:"cost"`
	CostINR       *float64 `json:"cost_inr,omitempty"`
	CostFormatted string   `json:"cost_formatted"`
}

// costBlock is the contract's cost block.
type costBlock struct {
	Upload         costLine `json:"upload"`
	Download       costLine `json:"download"`
	Total          costLine `json:"total"`
	CostPerGB      float64  `json:"cost_per_gb"`
	Currency       string   `json:"currency"`
	CurrencySymbol string   `json:"currency_symbol"`
}

// costBlock prices t at rate per GB (in the configured unit base, like
// human_readable).
func (e *Encoder) costBlock(t usage.Totals, rate float64) costBlock {
	return costBlock{
		Upload:         e.costLine(t.Tx, rate),
		Download:       e.costLine(t.Rx, rate),
		Total:          e.costLine(t.Total(), rate),
		CostPerGB:      rate,
		Currency:       e.price.Currency.Code,
		CurrencySymbol: e.price.Currency.Symbol,
	}
}

func (e *Encoder) costLine(bytes uint64, rate float64) costLine {
	cur := e.price.Currency
	gb := units.GB(bytes, e.price.Base)
	amount := gb * rate
	l := costLine{
		GBUsed:        roundTo(gb, 6),
		Cost:          cur.Round(amount),
		CostFormatted: cur.Format(amount),
	}
	if cur.Code == "INR" {
		v := l.Cost
		l.CostINR = &v
	}
	return l
}

// roundTo rounds v to n decimals, for numbers that are shown, not summed.
func roundTo(v float64, n int) float64 { return query.RoundTo(v, n) }

// The server's shorthands for its encoder's blocks.
func (s *Server) usageBlock(t usage.Totals, peak uint64) usageBlock { return s.enc.usageBlock(t, peak) }
func (s *Server) costBlock(t usage.Totals, rate float64) costBlock  { return s.enc.costBlock(t, rate) }

// dayRow is one day of /api/month, /api/range and /api/days. peak_speed is
// an extension (always present; 0 when none was recorded).
type dayRow struct {
	Date          string `json:"date"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
	PeakSpeed     uint64 `json:"peak_speed"`
}

func newDayRow(d usage.DayTotals) dayRow {
	return dayRow{
		Date:          d.Date.String(),
		BytesSent:     d.Tx,
		BytesReceived: d.Rx,
		TotalBytes:    d.Total(),
		PeakSpeed:     d.PeakBytesPerSec,
	}
}

// rate is a live speed pair in bytes per second.
type rate struct {
	RxPerSec uint64 `json:"rx_per_sec"`
	TxPerSec uint64 `json:"tx_per_sec"`
}
