package api

import (
	"time"

	"github.com/packetbuddy/pb/internal/query"
)

// Encoder renders the query layer's values as the API's JSON documents,
// one method per document. The API's handlers and the CLI's --json both
// use it, so "pb today --json" is GET /api/today's body (indented).
type Encoder struct {
	loc   *time.Location
	price query.Price
}

// NewEncoder returns the encoder for a zone (nil: time.Local) and a price
// (its unit base is also the base of human_readable and gb_used).
func NewEncoder(loc *time.Location, p query.Price) *Encoder {
	if loc == nil {
		loc = time.Local
	}
	if p.Currency.Code == "" {
		p = query.DefaultPrice()
	}
	return &Encoder{loc: loc, price: p}
}
