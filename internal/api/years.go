package api

import (
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

// yearsResponse is "pb years --json" (the API has no years endpoint; the
// document uses its field names and usage block).
type yearsResponse struct {
	Timezone string     `json:"timezone"`
	Years    []yearJSON `json:"years"`
	Summary  usageBlock `json:"summary"`
}

type yearJSON struct {
	Year          int        `json:"year"`
	BytesSent     uint64     `json:"bytes_sent"`
	BytesReceived uint64     `json:"bytes_received"`
	TotalBytes    uint64     `json:"total_bytes"`
	Months        []monthRow `json:"months"`
}

// Years renders every year with its months and the sum.
func (e *Encoder) Years(years []query.Year, sum usage.Totals) ([]byte, error) {
	resp := yearsResponse{Timezone: e.loc.String(), Years: make([]yearJSON, 0, len(years)), Summary: e.usageBlock(sum, 0)}
	for _, y := range years {
		j := yearJSON{Year: y.Year, BytesSent: y.Totals.Tx, BytesReceived: y.Totals.Rx, TotalBytes: y.Totals.Total(), Months: make([]monthRow, 0, len(y.Months))}
		for _, m := range y.Months {
			j.Months = append(j.Months, monthRow{Month: query.MonthString(m.Year, m.Month), BytesSent: m.Tx, BytesReceived: m.Rx, TotalBytes: m.Total()})
		}
		resp.Years = append(resp.Years, j)
	}
	return marshal(resp)
}
