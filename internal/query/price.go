package query

import (
	"fmt"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Defaults of a Price: PacketBuddy 1.x charged ₹7.50 per GB.
const (
	DefaultRatePerGB = 7.50
	DefaultCurrency  = "INR"
	// MaxRate bounds a price per GB: above it a float loses the cents.
	MaxRate = 1e9
)

// Price prices traffic: Rate per GB in Base's gigabytes, in Currency.
type Price struct {
	Rate     float64
	Currency units.Currency
	Base     units.Base
}

// DefaultPrice is ₹7.50 per SI gigabyte.
func DefaultPrice() Price {
	c, _ := units.LookupCurrency(DefaultCurrency)
	return Price{Rate: DefaultRatePerGB, Currency: c}
}

// NewPrice checks a configured rate and currency code: a zero rate with an
// empty code means the defaults, an empty code alone means INR.
func NewPrice(rate float64, code string, base units.Base) (Price, error) {
	if code == "" && rate == 0 {
		code, rate = DefaultCurrency, DefaultRatePerGB
	}
	if code == "" {
		code = DefaultCurrency
	}
	cur, ok := units.LookupCurrency(code)
	if !ok {
		return Price{}, fmt.Errorf("unknown currency %q: use an ISO 4217 code such as INR, USD or EUR", code)
	}
	if rate < 0 || rate != rate || rate > MaxRate {
		return Price{}, fmt.Errorf("cost per GB %v is not a number between 0 and %g", rate, float64(MaxRate))
	}
	return Price{Rate: rate, Currency: cur, Base: base}, nil
}

// Cost is the price of n bytes, unrounded.
func (p Price) Cost(n uint64) float64 { return units.GB(n, p.Base) * p.Rate }

// Format writes an amount in the currency ("₹1,234.56").
func (p Price) Format(amount float64) string { return p.Currency.Format(amount) }

// Cost is traffic priced: amounts rounded to the currency's minor unit,
// and formatted.
type Cost struct {
	RatePerGB         float64
	Currency          string
	Upload            float64
	Download          float64
	Total             float64
	UploadFormatted   string
	DownloadFormatted string
	TotalFormatted    string
	RateFormatted     string
}

// Of prices t.
func (p Price) Of(t usage.Totals) Cost {
	up, down, tot := p.Cost(t.Tx), p.Cost(t.Rx), p.Cost(t.Total())
	c := p.Currency
	return Cost{
		RatePerGB: p.Rate, Currency: c.Code,
		Upload: c.Round(up), Download: c.Round(down), Total: c.Round(tot),
		UploadFormatted: c.Format(up), DownloadFormatted: c.Format(down), TotalFormatted: c.Format(tot),
		RateFormatted: c.Format(p.Rate),
	}
}
