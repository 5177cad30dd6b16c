package plan

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/packetbuddy/pb/internal/usage"
)

func intp(n int) *int { return &n }

func TestParseValid(t *testing.T) {
	raws := []RawSpec{
		{Name: "Home fibre", Cap: "1.5TiB", ResetDay: intp(31), Offset: "-300MB",
			Currency: "eur", FixedFee: 30, OveragePerGB: 2},
		{Name: "Phone pack", Interfaces: []string{"usb*", "rndis0"}, Cap: "50GB", Cycle: "days", EveryDays: 28,
			Start: "2026-01-15", Counts: "max", Offset: "1.2GB", Thresholds: []int{90, 50, 90}},
		{Name: "Travel", Cap: "5GB", Cycle: "once", Start: "2026-03-01", Expires: "2026-03-14",
			Currency: "INR", Tiers: []RawTier{{UpTo: "1GB", PerGB: 0}, {UpTo: "3GB", PerGB: 10}, {PerGB: 20}}},
		{Name: "Metered", PricePerGB: 0.5, Currency: "USD"},
		{Name: "Quiet", Cap: "10GB", Thresholds: []int{}},
	}
	got, err := Parse(raws)
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{
		{Name: "Home fibre", Cap: 1 << 40 * 3 / 2, Cycle: Cycle{Kind: Monthly, ResetDay: 31}, Counts: CountRxTx,
			Offset: -300e6, Price: Price{Kind: FixedOverage, Currency: "EUR", Fixed: 30, Rate: 2}, Thresholds: []int{50, 80, 90, 100}},
		{Name: "Phone pack", Interfaces: []string{"usb*", "rndis0"}, Cap: 50e9,
			Cycle:  Cycle{Kind: EveryDays, Every: 28, Start: usage.Date{Year: 2026, Month: 1, Day: 15}},
			Counts: CountMax, Offset: 1.2e9, Thresholds: []int{50, 90}},
		{Name: "Travel", Cap: 5e9, Cycle: Cycle{Kind: OneTime, Start: usage.Date{Year: 2026, Month: 3, Day: 1}, Expires: usage.Date{Year: 2026, Month: 3, Day: 14}},
			Counts: CountRxTx, Price: Price{Kind: Tiered, Currency: "INR", Tiers: []Tier{{1e9, 0}, {3e9, 10}, {0, 20}}},
			Thresholds: []int{50, 80, 90, 100}},
		{Name: "Metered", Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx,
			Price: Price{Kind: PerGB, Currency: "USD", Rate: 0.5}, Thresholds: []int{50, 80, 90, 100}},
		{Name: "Quiet", Cap: 10e9, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  []RawSpec
		want []string // each must appear in the joined error
	}{
		{"negative cap", []RawSpec{{Name: "Home fibre", Cap: "-5GB"}},
			[]string{`plan "Home fibre": cap = "-5GB": must be a positive size such as "50GB" or "1.5TiB"`}},
		{"zero cap", []RawSpec{{Name: "A", Cap: "0"}}, []string{`plan "A": cap = "0": must be a positive size`}},
		{"apps and networks", []RawSpec{{Name: "A", Apps: []string{"steam"}, Networks: []string{"Pixel hotspot"}}},
			[]string{`plan "A": apps = "steam": a plan can name apps or networks, not both; make two plans`}},
		{"unknown currency", []RawSpec{{Name: "A", PricePerGB: 1, Currency: "XYZ"}},
			[]string{`plan "A": currency = "XYZ": unknown currency`}},
		{"price without currency", []RawSpec{{Name: "A", PricePerGB: 1}}, []string{`plan "A": currency: required with a price`}},
		{"reset day 0", []RawSpec{{Name: "A", ResetDay: intp(0)}}, []string{`plan "A": reset_day = 0: must be a day of the month between 1 and 31`}},
		{"reset day 32", []RawSpec{{Name: "A", ResetDay: intp(32)}}, []string{`plan "A": reset_day = 32: must be a day of the month between 1 and 31`}},
		{"duplicate names", []RawSpec{{Name: "Home"}, {Name: "home"}}, []string{`plan "home": name = "home": another plan has this name`}},
		{"unknown counts", []RawSpec{{Name: "A", Counts: "tx-only"}}, []string{`plan "A": counts = "tx-only": must be "rx+tx"`}},
		{"threshold 0", []RawSpec{{Name: "A", Thresholds: []int{0, 50}}}, []string{`plan "A": thresholds = [0, 50]: each threshold must be a percentage of the cap between 1 and 1000`}},
		{"threshold 1001", []RawSpec{{Name: "A", Thresholds: []int{1001}}}, []string{`plan "A": thresholds = [1001]:`}},
		{"no name", []RawSpec{{Cap: "5GB"}}, []string{`plan #1: name: every plan needs a name`}},
		{"bad offset", []RawSpec{{Name: "A", Offset: "--3GB"}}, []string{`plan "A": offset = "--3GB": must be a size to add or subtract`}},
		{"every days missing start", []RawSpec{{Name: "A", Cycle: "days", EveryDays: 0}},
			[]string{`plan "A": every_days = 0: must be a number of days between 1 and 366`, `plan "A": start: required for this cycle`}},
		{"pack expires before start", []RawSpec{{Name: "A", Cycle: "once", Start: "2026-03-10", Expires: "2026-03-01"}},
			[]string{`plan "A": expires = "2026-03-01": is before start "2026-03-10"`}},
		{"key of another cycle", []RawSpec{{Name: "A", EveryDays: 28, Start: "2026-01-01"}},
			[]string{`plan "A": every_days = 28: only applies to cycle = "days"`, `plan "A": start = "2026-01-01": only applies to cycle = "days" or "once"`}},
		{"reset day on a pack", []RawSpec{{Name: "A", Cycle: "once", Start: "2026-01-01", Expires: "2026-01-02", ResetDay: intp(5)}},
			[]string{`plan "A": reset_day = 5: only applies to cycle = "monthly"`}},
		{"unknown cycle", []RawSpec{{Name: "A", Cycle: "weekly"}}, []string{`plan "A": cycle = "weekly": must be "monthly"`}},
		{"two prices", []RawSpec{{Name: "A", Cap: "1GB", PricePerGB: 1, OveragePerGB: 2, Currency: "USD"}}, []string{`choose one way to price the plan`}},
		{"tiers not ascending", []RawSpec{{Name: "A", Currency: "USD", Tiers: []RawTier{{UpTo: "5GB", PerGB: 1}, {UpTo: "2GB", PerGB: 2}}}},
			[]string{`plan "A": tiers[1].up_to = "2GB": must be larger than the tier before`}},
		{"several at once", []RawSpec{{Name: "Home fibre", Cap: "-5GB", ResetDay: intp(32), Counts: "x"}, {Name: "B", Currency: "ABC"}},
			[]string{`plan "Home fibre": cap = "-5GB"`, `plan "Home fibre": reset_day = 32`, `plan "Home fibre": counts = "x"`, `plan "B": currency = "ABC"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := Parse(tt.raw)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", specs)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %v holds no *FieldError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
			// Index says which plan each error is about, also when two
			// plans share a name: the text alone cannot tell them apart.
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				fe := e.(*FieldError)
				if r := tt.raw[fe.Index]; fe.Plan != r.Name && fe.Plan != "#"+strconv.Itoa(fe.Index+1) {
					t.Errorf("%v: Index %d is plan %q", fe, fe.Index, r.Name)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) && tt.name != "two prices" {
				t.Errorf("got %d problems, want %d:\n%v", n, len(tt.want), err)
			}
		})
	}
}

func TestPriceCost(t *testing.T) {
	tiers := Price{Kind: Tiered, Currency: "USD", Fixed: 1, Tiers: []Tier{{1e9, 0}, {3e9, 10}, {0, 20}}}
	tests := []struct {
		name      string
		p         Price
		used, cap uint64
		want      float64
	}{
		{"none", Price{}, 5e9, 0, 0},
		{"per GB", Price{Kind: PerGB, Currency: "USD", Rate: 0.5}, 3e9, 0, 1.5},
		{"per GB rounds to cents", Price{Kind: PerGB, Currency: "USD", Rate: 1}, 1234567890, 0, 1.23},
		{"yen has no minor unit", Price{Kind: PerGB, Currency: "JPY", Rate: 100}, 1.5e9, 0, 150},
		{"fixed under cap", Price{Kind: FixedOverage, Currency: "EUR", Fixed: 30, Rate: 2}, 40e9, 50e9, 30},
		{"fixed over cap", Price{Kind: FixedOverage, Currency: "EUR", Fixed: 30, Rate: 2}, 52.5e9, 50e9, 35},
		{"tiers inside first", tiers, 0.5e9, 0, 1},
		{"tiers inside second", tiers, 2e9, 0, 11},
		{"tiers beyond", tiers, 5e9, 0, 1 + 20 + 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Cost(tt.used, tt.cap); got != tt.want {
				t.Errorf("Cost(%d, %d) = %v, want %v", tt.used, tt.cap, got, tt.want)
			}
		})
	}
}
