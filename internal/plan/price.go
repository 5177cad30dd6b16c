package plan

import (
	"math"
	"strconv"
	"strings"

	"github.com/packetbuddy/pb/internal/units"
)

// bytesPerGB is the decimal gigabyte carriers bill by.
const bytesPerGB = 1e9

// PriceKind says how a plan's traffic is charged.
type PriceKind int

// Price kinds.
const (
	NoPrice      PriceKind = iota // cost is not tracked
	PerGB                         // every GB at Rate
	FixedOverage                  // Fixed per cycle, plus Rate per GB above the cap
	Tiered                        // Fixed (optional) plus Tiers applied in order
)

// Tier is one step of a tiered price: bytes up to UpTo (cumulative over the
// cycle) cost PerGB each GB; UpTo 0 means "and everything beyond".
type Tier struct {
	UpTo  uint64
	PerGB float64
}

// Price is what a cycle's traffic costs, in Currency (an ISO 4217 code).
type Price struct {
	Kind     PriceKind
	Currency string
	Fixed    float64 // per-cycle fee (FixedOverage, Tiered)
	Rate     float64 // per GB (PerGB) or per GB above the cap (FixedOverage)
	Tiers    []Tier  // Tiered, ascending UpTo, last one may be open-ended
}

// Cost is the price of used bytes in a cycle with this cap, rounded to the
// currency's minor unit so it matches what a bill shows.
func (p Price) Cost(used, cap uint64) float64 {
	gb := func(b uint64) float64 { return float64(b) / bytesPerGB }
	var v float64
	switch p.Kind {
	case PerGB:
		v = gb(used) * p.Rate
	case FixedOverage:
		v = p.Fixed
		if cap > 0 && used > cap {
			v += gb(used-cap) * p.Rate
		}
	case Tiered:
		v = p.Fixed
		var below uint64
		for _, t := range p.Tiers {
			top := t.UpTo
			if top == 0 || top > used {
				top = used
			}
			if top > below {
				v += gb(top-below) * t.PerGB
				below = top
			}
			if t.UpTo == 0 || below >= used {
				break
			}
		}
	default:
		return 0
	}
	if c, ok := units.LookupCurrency(p.Currency); ok {
		return c.Round(v)
	}
	return v
}

// parsePrice validates the price fields of r.
func parsePrice(r RawSpec, capBytes uint64, bad func(field, value, msg string)) Price {
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	var p Price
	kinds := 0
	if r.PricePerGB != 0 {
		kinds++
		p.Kind, p.Rate = PerGB, r.PricePerGB
	}
	if r.OveragePerGB != 0 || (r.FixedFee != 0 && len(r.Tiers) == 0) {
		kinds++
		p.Kind, p.Fixed, p.Rate = FixedOverage, r.FixedFee, r.OveragePerGB
	}
	if len(r.Tiers) > 0 {
		kinds++
		p.Kind, p.Fixed = Tiered, r.FixedFee
		var last uint64
		for i, t := range r.Tiers {
			field := "tiers[" + strconv.Itoa(i) + "]"
			var upTo uint64
			if strings.TrimSpace(t.UpTo) != "" {
				n, err := units.ParseBytes(t.UpTo)
				if err != nil || n == 0 {
					bad(field+".up_to", strconv.Quote(t.UpTo), `must be a positive size such as "10GB"`)
				} else if n <= last {
					bad(field+".up_to", strconv.Quote(t.UpTo), "must be larger than the tier before")
				}
				upTo, last = n, max(last, n)
			} else if i != len(r.Tiers)-1 {
				bad(field+".up_to", "", "only the last tier may leave up_to out (it covers everything beyond)")
			}
			if t.PerGB < 0 || math.IsNaN(t.PerGB) || math.IsInf(t.PerGB, 0) {
				bad(field+".per_gb", num(t.PerGB), "must be a price of zero or more")
			}
			p.Tiers = append(p.Tiers, Tier{UpTo: upTo, PerGB: t.PerGB})
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"price_per_gb", r.PricePerGB}, {"fixed_fee", r.FixedFee}, {"overage_per_gb", r.OveragePerGB}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			bad(f.name, num(f.v), "must be a price of zero or more")
		}
	}
	if kinds > 1 {
		bad("price_per_gb", num(r.PricePerGB), "choose one way to price the plan: price_per_gb, fixed_fee with overage_per_gb, or tiers")
	}
	if p.Kind == FixedOverage && r.OveragePerGB != 0 && capBytes == 0 {
		bad("overage_per_gb", num(r.OveragePerGB), "needs a cap to charge overage above")
	}
	cur := strings.TrimSpace(r.Currency)
	if cur != "" {
		c, ok := units.LookupCurrency(cur)
		if !ok {
			bad("currency", strconv.Quote(r.Currency), `unknown currency; use an ISO 4217 code such as "USD", "EUR" or "INR"`)
		}
		p.Currency = c.Code
	} else if p.Kind != NoPrice {
		bad("currency", "", `required with a price; use an ISO 4217 code such as "USD", "EUR" or "INR"`)
	}
	return p
}

func tomlInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
