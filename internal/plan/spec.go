// Package plan is the pure core of data plans: billing cycles, caps,
// calibration offsets, prices, forecasts and threshold alerts. It reads no
// clock, database or config file of its own: the caller hands it the parsed
// [[plan]] tables, the current instant, the zone and daily totals, and gets
// back a Status and the Alerts to deliver. Delivering them (webhooks,
// desktop notifications) is package notify's job, so plan does no I/O.
package plan

import (
	"errors"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Counting says which traffic counts against a plan's cap.
type Counting string

// Counting rules.
const (
	CountRxTx Counting = "rx+tx" // downloads and uploads (most plans; the default)
	CountRx   Counting = "rx"    // downloads only
	CountMax  Counting = "max"   // the larger of the cycle's downloads and uploads (some transit-style plans)
)

// Of returns the counted bytes of t under this rule.
func (c Counting) Of(t usage.Totals) uint64 {
	switch c {
	case CountRx:
		return t.Rx
	case CountMax:
		return max(t.Rx, t.Tx)
	}
	return t.Rx + t.Tx
}

// DefaultThresholds are the percentages of the cap that alert when a plan
// sets none.
var DefaultThresholds = []int{50, 80, 90, 100}

// Spec is one validated data plan.
type Spec struct {
	Name string
	// Interfaces are globs (path.Match) selecting the interfaces the plan
	// meters; empty means the interfaces counted in the total.
	Interfaces []string
	// Networks are the names of the networks the plan meters (a phone's
	// hotspot); empty means every network. With Interfaces too, only
	// those interfaces' traffic on those networks counts.
	Networks []string
	// Apps, when set, narrow the plan to these applications' traffic
	// (per-app usage, [apps] enabled): each is matched against an app's
	// command name, executable path or its base name, systemd unit or
	// package ("flatpak:org.mozilla.firefox").
	Apps []string
	// Cap is the allowance in bytes per cycle; 0 means no cap (a plan kept
	// for its cost only), and then no threshold alerts fire.
	Cap    uint64
	Cycle  Cycle
	Counts Counting
	Offset int64 // calibration added to the measured use, to match the carrier's meter; may be negative
	Price  Price
	// Thresholds are the percentages of Cap (1..1000, ascending, no
	// repeats) that alert; empty means no threshold alerts.
	Thresholds []int
}

// RawTier is one price tier as written in a [[plan]] table:
// { up_to = "10GB", per_gb = 5.0 }; the last tier leaves up_to empty.
type RawTier struct {
	UpTo  string  `toml:"up_to" json:"up_to"`
	PerGB float64 `toml:"per_gb" json:"per_gb"`
}

// RawSpec is a [[plan]] table as decoded from TOML, before validation.
// Strings are kept as typed so errors can quote them. For example:
//
//	[[plan]]
//	name = "Home fibre"
//	cap = "1TB"
//	cycle = "monthly"       # or "days" (every_days, start) or "once" (start, expires)
//	reset_day = 31          # clamped to the month's last day
//	counts = "rx+tx"        # or "rx", "max"
//	offset = "-300MB"       # calibration against the carrier's meter
//	currency = "EUR"
//	fixed_fee = 30.0
//	overage_per_gb = 2.0    # or price_per_gb, or tiers = [{ up_to = "10GB", per_gb = 1.0 }, { per_gb = 0.5 }]
//	thresholds = [50, 80, 90, 100]
type RawSpec struct {
	Name       string   `toml:"name" json:"name"`
	Interfaces []string `toml:"interfaces" json:"interfaces"`
	Networks   []string `toml:"networks" json:"networks"`
	Apps       []string `toml:"apps" json:"apps"`             // "steam", "/usr/bin/curl", "flatpak:com.valvesoftware.Steam"
	Cap        string   `toml:"cap" json:"cap"`               // "50GB", "1.5TiB"; empty = no cap
	Cycle      string   `toml:"cycle" json:"cycle"`           // "monthly" (default), "days", "once"
	ResetDay   *int     `toml:"reset_day" json:"reset_day"`   // monthly: 1..31; nil (left out) = 1
	EveryDays  int      `toml:"every_days" json:"every_days"` // days: cycle length
	Start      string   `toml:"start" json:"start"`           // days/once: "2026-01-15"
	Expires    string   `toml:"expires" json:"expires"`       // once: last valid day, "2026-02-14"
	Counts     string   `toml:"counts" json:"counts"`         // "rx+tx" (default), "rx", "max"
	Offset     string   `toml:"offset" json:"offset"`         // "1.2GB", "-300MB"

	Currency     string    `toml:"currency" json:"currency"`             // ISO 4217; required with any price
	PricePerGB   float64   `toml:"price_per_gb" json:"price_per_gb"`     // flat price per GB
	FixedFee     float64   `toml:"fixed_fee" json:"fixed_fee"`           // per cycle
	OveragePerGB float64   `toml:"overage_per_gb" json:"overage_per_gb"` // per GB above Cap
	Tiers        []RawTier `toml:"tiers" json:"tiers"`

	Thresholds []int `toml:"thresholds" json:"thresholds"`
}

// FieldError is one problem with one plan. Its message names the plan and
// the field the way the user wrote them:
//
//	plan "Home fibre": cap = "-5GB": must be a positive size such as "50GB" or "1.5TiB"
type FieldError struct {
	Index int    // the plan's position in the list given to Parse, from 0
	Plan  string // the plan's name, or "#2" when it has none
	Field string // the [[plan]] key
	Value string // the offending value as TOML ("\"-5GB\"", "0"); "" when not applicable
	Msg   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("plan ")
	if strings.HasPrefix(e.Plan, "#") {
		b.WriteString(e.Plan)
	} else {
		b.WriteString(strconv.Quote(e.Plan))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		if e.Value != "" {
			b.WriteString(" = " + e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Parse validates raw [[plan]] tables and returns the specs in order. Every
// problem is reported, not just the first: the error is an errors.Join of
// *FieldError values.
func Parse(raws []RawSpec) ([]Spec, error) {
	var errs []error
	specs := make([]Spec, 0, len(raws))
	seen := map[string]bool{}
	for i, r := range raws {
		label := strings.TrimSpace(r.Name)
		if label == "" {
			label = "#" + strconv.Itoa(i+1)
		}
		bad := func(field, value, msg string) {
			errs = append(errs, &FieldError{Index: i, Plan: label, Field: field, Value: value, Msg: msg})
		}
		s := Spec{Name: strings.TrimSpace(r.Name)}
		if s.Name == "" {
			bad("name", "", "every plan needs a name, e.g. name = \"Home fibre\"")
		} else if key := strings.ToLower(s.Name); seen[key] {
			bad("name", strconv.Quote(r.Name), "another plan has this name; plan names must be unique")
		} else {
			seen[key] = true
		}

		for _, g := range r.Interfaces {
			if _, err := path.Match(g, ""); err != nil || strings.TrimSpace(g) == "" {
				bad("interfaces", strconv.Quote(g), "not a valid interface pattern; use a name or a glob such as \"wlan*\"")
			}
		}
		s.Interfaces = slices.Clone(r.Interfaces)
		for _, n := range r.Networks {
			if strings.TrimSpace(n) == "" {
				bad("networks", strconv.Quote(n), "not a network name; pb networks lists them")
			}
		}
		s.Networks = slices.Clone(r.Networks)
		for _, a := range r.Apps {
			if a = strings.TrimSpace(a); a == "" {
				bad("apps", `""`, `name an application by its command name, executable path, systemd unit or package, e.g. apps = ["steam"]`)
				continue
			}
			s.Apps = append(s.Apps, a)
		}
		if len(s.Apps) > 0 && len(s.Networks) > 0 {
			// Per-app traffic is not kept per network: such a plan would
			// have nothing to count.
			bad("apps", strconv.Quote(strings.Join(s.Apps, ", ")), "a plan can name apps or networks, not both; make two plans")
		}

		if strings.TrimSpace(r.Cap) != "" {
			n, err := units.ParseBytes(r.Cap)
			if err != nil || n == 0 {
				bad("cap", strconv.Quote(r.Cap), `must be a positive size such as "50GB" or "1.5TiB"`)
			}
			s.Cap = n
		}

		s.Cycle = parseCycle(r, bad)

		switch c := Counting(strings.ToLower(strings.TrimSpace(r.Counts))); c {
		case "":
			s.Counts = CountRxTx
		case CountRxTx, CountRx, CountMax:
			s.Counts = c
		default:
			bad("counts", strconv.Quote(r.Counts), `must be "rx+tx" (downloads and uploads), "rx" (downloads only) or "max" (the larger of the two)`)
		}

		if o := strings.TrimSpace(r.Offset); o != "" {
			neg := strings.HasPrefix(o, "-")
			n, err := units.ParseBytes(strings.TrimPrefix(o, "-"))
			if err != nil || n > math.MaxInt64 {
				bad("offset", strconv.Quote(r.Offset), `must be a size to add or subtract, such as "1.2GB" or "-300MB"`)
			} else if neg {
				s.Offset = -int64(n)
			} else {
				s.Offset = int64(n)
			}
		}

		s.Price = parsePrice(r, s.Cap, bad)

		s.Thresholds = slices.Clone(DefaultThresholds) // a copy: callers may modify their Spec
		if r.Thresholds != nil {
			ok := true // an empty list is allowed: no threshold alerts, only the forecast one
			for _, t := range r.Thresholds {
				if t < 1 || t > 1000 {
					ok = false
				}
			}
			if !ok {
				bad("thresholds", tomlInts(r.Thresholds), "each threshold must be a percentage of the cap between 1 and 1000, e.g. [50, 80, 100]")
			} else {
				s.Thresholds = slices.Compact(slices.Sorted(slices.Values(r.Thresholds)))
			}
		}
		specs = append(specs, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return specs, nil
}

func parseCycle(r RawSpec, bad func(field, value, msg string)) Cycle {
	date := func(field, v string) usage.Date {
		if strings.TrimSpace(v) == "" {
			bad(field, "", "required for this cycle; write a date such as \"2026-01-15\"")
			return usage.Date{}
		}
		d, err := usage.ParseDate(strings.TrimSpace(v))
		if err != nil {
			bad(field, strconv.Quote(v), "must be a date such as \"2026-01-15\"")
		}
		return d
	}
	var c Cycle
	switch strings.ToLower(strings.TrimSpace(r.Cycle)) {
	case "", "monthly", "month":
		c.Kind = Monthly
		c.ResetDay = 1 // left out: the 1st
		if r.ResetDay != nil {
			c.ResetDay = *r.ResetDay
			if c.ResetDay < 1 || c.ResetDay > 31 {
				bad("reset_day", strconv.Itoa(c.ResetDay), "must be a day of the month between 1 and 31 (31 resets on the last day of shorter months)")
			}
		}
	case "days", "every_days":
		c.Kind = EveryDays
		c.Every = r.EveryDays
		if r.EveryDays < 1 || r.EveryDays > 366 {
			bad("every_days", strconv.Itoa(r.EveryDays), "must be a number of days between 1 and 366, e.g. 28")
		}
		c.Start = date("start", r.Start)
	case "once", "one-time", "onetime", "pack":
		c.Kind = OneTime
		c.Start = date("start", r.Start)
		c.Expires = date("expires", r.Expires)
		if !c.Start.IsZero() && !c.Expires.IsZero() && c.Expires.Before(c.Start) {
			bad("expires", strconv.Quote(r.Expires), "is before start "+strconv.Quote(r.Start))
		}
	default:
		bad("cycle", strconv.Quote(r.Cycle), `must be "monthly" (with reset_day), "days" (with every_days and start) or "once" (with start and expires)`)
	}
	// A key for another kind of cycle is almost always a forgotten
	// cycle = "...", and silently ignoring it would meter the wrong cycle.
	if r.ResetDay != nil && c.Kind != Monthly && c.Kind != 0 {
		bad("reset_day", strconv.Itoa(*r.ResetDay), `only applies to cycle = "monthly"`)
	}
	if r.EveryDays != 0 && c.Kind != EveryDays && c.Kind != 0 {
		bad("every_days", strconv.Itoa(r.EveryDays), `only applies to cycle = "days"`)
	}
	if strings.TrimSpace(r.Expires) != "" && c.Kind != OneTime && c.Kind != 0 {
		bad("expires", strconv.Quote(r.Expires), `only applies to cycle = "once"`)
	}
	if strings.TrimSpace(r.Start) != "" && c.Kind == Monthly {
		bad("start", strconv.Quote(r.Start), `only applies to cycle = "days" or "once"; a monthly cycle starts on reset_day`)
	}
	return c
}
