package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/usage"
)

// plansDoc has one plan of each cycle kind and each way of writing values
// that is accepted: integers for prices, an unquoted date, a multi-line
// tiers list, a lower-case currency.
const plansDoc = `timezone = "UTC"

[[plan]]
name = "Home fibre"
interfaces = ["eth0", "wlan*"]
cap = "1TB"
cycle = "monthly"
reset_day = 31
counts = "rx+tx"
offset = "-300MB"
currency = "eur"
fixed_fee = 10
tiers = [
  { up_to = "100GB", per_gb = 0 },
  { per_gb = 0.5 },
]
thresholds = [90, 50]

[[plan]]
name = "Prepaid SIM"
interfaces = ["wwan0"]
cap = "1.5GiB"
cycle = "days"
every_days = 28
start = 2026-01-15 # a TOML date works as well as a string
counts = "max"
currency = "INR"
price_per_gb = 20

[[plan]]
name = "Roaming pack"
cap = "5GB"
cycle = "once"
start = "2026-03-01"
expires = "2026-03-14"
counts = "rx"
thresholds = []

[cost]
currency = "EUR"
`

var wantPlans = []plan.Spec{
	{
		Name:       "Home fibre",
		Interfaces: []string{"eth0", "wlan*"},
		Cap:        1e12,
		Cycle:      plan.Cycle{Kind: plan.Monthly, ResetDay: 31},
		Counts:     plan.CountRxTx,
		Offset:     -300e6,
		Price: plan.Price{Kind: plan.Tiered, Currency: "EUR", Fixed: 10,
			Tiers: []plan.Tier{{UpTo: 100e9, PerGB: 0}, {UpTo: 0, PerGB: 0.5}}},
		Thresholds: []int{50, 90},
	},
	{
		Name:       "Prepaid SIM",
		Interfaces: []string{"wwan0"},
		Cap:        1.5 * (1 << 30),
		Cycle:      plan.Cycle{Kind: plan.EveryDays, Every: 28, Start: usage.Date{Year: 2026, Month: 1, Day: 15}},
		Counts:     plan.CountMax,
		Price:      plan.Price{Kind: plan.PerGB, Currency: "INR", Rate: 20},
		Thresholds: []int{50, 80, 90, 100},
	},
	{
		Name: "Roaming pack",
		Cap:  5e9,
		Cycle: plan.Cycle{Kind: plan.OneTime,
			Start: usage.Date{Year: 2026, Month: 3, Day: 1}, Expires: usage.Date{Year: 2026, Month: 3, Day: 14}},
		Counts:     plan.CountRx,
		Thresholds: nil, // thresholds = []: no threshold alerts
	},
}

func TestLoadPlans(t *testing.T) {
	t.Parallel()
	cfg, errText := loadDoc(t, plansDoc, nil)
	if errText != "" {
		t.Fatal(errText)
	}
	if diff := cmp.Diff(wantPlans, cfg.Plans); diff != "" {
		t.Errorf("Plans (-want +got):\n%s", diff)
	}
	if len(cfg.RawPlans) != 3 || cfg.RawPlans[1].Start != "2026-01-15" || *cfg.RawPlans[0].ResetDay != 31 {
		t.Errorf("RawPlans = %+v", cfg.RawPlans)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if cfg.Cost.Currency != "EUR" {
		t.Errorf("the [cost] table after the plans was not read: currency %q", cfg.Cost.Currency)
	}
}

func TestPlansOnlyFromFile(t *testing.T) {
	t.Parallel()
	cfg, errText := loadDoc(t, "[api]\nport = 8080\n", nil)
	if errText != "" || cfg.Plans != nil || cfg.RawPlans != nil {
		t.Errorf("a file without plans: plans %v, raw %v, error %s", cfg.Plans, cfg.RawPlans, errText)
	}
	cfg, errText = loadDoc(t, "plan = []\n", nil)
	if errText != "" || len(cfg.Plans) != 0 {
		t.Errorf("plan = []: plans %v, error %s", cfg.Plans, errText)
	}
	// Plans written as an inline array of tables are plans too.
	cfg, errText = loadDoc(t, `plan = [{ name = "A", cap = "1GB" }, { name = "B" }]`+"\n", nil)
	if errText != "" || len(cfg.Plans) != 2 || cfg.Plans[0].Cap != 1e9 || cfg.Plans[1].Name != "B" {
		t.Errorf("inline plans: %+v, error %s", cfg.Plans, errText)
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	const home = "[[plan]]\nname = \"Home\"\n" // lines 1-2
	tests := []struct {
		name, doc, want string
	}{
		{"negative cap", home + "cap = \"-5GB\"\n",
			`config {path}: line 3: plan "Home": cap = "-5GB": must be a positive size such as "50GB" or "1.5TiB"`},
		{"unknown currency", home + "cap = \"5GB\"\nprice_per_gb = 1\ncurrency = \"XYZ\"\n",
			`config {path}: line 5: plan "Home": currency = "XYZ": unknown currency; use an ISO 4217 code such as "USD", "EUR" or "INR"`},
		{"reset_day 0", home + "reset_day = 0\n",
			`config {path}: line 3: plan "Home": reset_day = 0: must be a day of the month between 1 and 31 (31 resets on the last day of shorter months)`},
		{"reset_day 32", home + "cycle = \"monthly\"\nreset_day = 32\n",
			`config {path}: line 4: plan "Home": reset_day = 32: must be a day of the month between 1 and 31 (31 resets on the last day of shorter months)`},
		{"same name", home + "\n[[plan]]\nname = \"home\"\n",
			`config {path}: line 5: plan "home": name = "home": another plan has this name; plan names must be unique`},
		{"no name: the header's line", "# plans\n\n[[plan]]\ncap = \"5GB\"\n",
			`config {path}: line 3: plan #1: name: every plan needs a name, e.g. name = "Home fibre"`},
		{"the second plan's line, not the first's", home + "cap = \"5GB\"\n\n[[plan]]\nname = \"SIM\"\ncounts = \"rx\"\ncap = \"0GB\"\n",
			`config {path}: line 8: plan "SIM": cap = "0GB": must be a positive size such as "50GB" or "1.5TiB"`},
		{"plans in an inline array", `plan = [{ name = "A" }, { name = "B", cap = "-1GB" }]` + "\n",
			`config {path}: line 1: plan "B": cap = "-1GB": must be a positive size such as "50GB" or "1.5TiB"`},

		// Type errors.
		{"size as number", home + "cap = 5\n",
			`config {path}: line 3: plan "Home": cap = 5: is a number without a unit; write a size in double quotes, e.g. cap = "50GB" (units: KB, MB, GB, TB or KiB, MiB, GiB, TiB)`},
		{"size as bool", home + "offset = true\n",
			`config {path}: line 3: plan "Home": offset = true: is true/false, expected a size in double quotes; e.g. offset = "-300MB"`},
		{"day as string", home + "reset_day = \"31\"\n",
			`config {path}: line 3: plan "Home": reset_day = "31": is a string, expected a whole number; e.g. reset_day = 1`},
		{"day as float", home + "every_days = 28.5\n",
			`config {path}: line 3: plan "Home": every_days = 28.5: is a decimal number, expected a whole number; e.g. every_days = 28`},
		{"price as string", home + "price_per_gb = \"1\"\n",
			`config {path}: line 3: plan "Home": price_per_gb = "1": is a string, expected a number; e.g. price_per_gb = 0.5`},
		{"interfaces as string", home + "interfaces = \"eth0\"\n",
			`config {path}: line 3: plan "Home": interfaces = "eth0": is a string, expected a list of strings; e.g. interfaces = ["eth0", "wlan*"]`},
		{"interfaces item", home + "interfaces = [\"eth0\", 1]\n",
			`config {path}: line 3: plan "Home": interfaces = ["eth0", 1]: item 2 is a whole number, expected a list of strings; e.g. interfaces = ["eth0", "wlan*"]`},
		{"thresholds item", home + "thresholds = [50, 80.5]\n",
			`config {path}: line 3: plan "Home": thresholds = [50, 80.5]: item 2 is a decimal number, expected a list of whole numbers; e.g. thresholds = [50, 80, 90, 100]`},
		{"date with a time", home + "cycle = \"once\"\nstart = 2026-01-15T10:00:00\nexpires = \"2026-02-01\"\n",
			`config {path}: line 4: plan "Home": start = 2026-01-15T10:00:00Z: is a date/time, expected a date in double quotes; e.g. start = "2026-01-15"`},
		{"tiers as string", home + "tiers = \"10GB\"\n",
			`config {path}: line 3: plan "Home": tiers = "10GB": is a string, expected a list of inline tables; e.g. tiers = [{ up_to = "10GB", per_gb = 1.0 }, { per_gb = 0.5 }]`},
		{"tier not a table", home + "tiers = [1.0]\n",
			`config {path}: line 3: plan "Home": tiers[0]: is a decimal number, expected an inline table such as { up_to = "10GB", per_gb = 1.0 }`},
		{"tier up_to as number", home + "tiers = [{ up_to = 10, per_gb = 1 }]\n",
			`config {path}: line 3: plan "Home": tiers[0].up_to: is a whole number, expected a size in double quotes such as "10GB" (leave it out in the last tier)`},
		{"tier per_gb as string", home + "tiers = [{ up_to = \"10GB\", per_gb = 1 }, { per_gb = \"free\" }]\n",
			`config {path}: line 3: plan "Home": tiers[1].per_gb: is a string, expected a number such as 1.0`},
		{"tier key typo", home + "tiers = [\n  { upto = \"10GB\", per_gb = 1 },\n]\n",
			`config {path}: line 3: plan "Home": tiers[0]: unknown key "upto"; did you mean "up_to"?`},
		{"bad name: plan numbered", "[[plan]]\nname = 5\n",
			`config {path}: line 2: plan #1: name = 5: is a whole number, expected a string in double quotes; e.g. name = "Home fibre"`},
		{"tier value checked by plan.Parse", home + "currency = \"EUR\"\ntiers = [{ up_to = \"10GB\", per_gb = 1 }, { per_gb = -1 }]\n",
			`config {path}: line 4: plan "Home": tiers[1].per_gb = -1: must be a price of zero or more`},

		// Keys and shapes.
		{"unknown key", home + "rest_day = 3\n",
			`config {path}: line 3: plan "Home": unknown key "rest_day"; did you mean "reset_day"?`},
		{"unknown key, nothing close", home + "colour = \"red\"\n",
			`config {path}: line 3: plan "Home": unknown key "colour"`},
		{"single table", "[api]\nport = 7373\n\n[plan]\nname = \"Home\"\n",
			`config {path}: line 4: [plan] must be written [[plan]], with two brackets: each data plan is one [[plan]] table, and several may follow each other`},
		{"inline table", "plan = { name = \"Home\" }\n",
			`config {path}: line 1: plan is a single inline table; write [[plan]] (with two brackets) on a line of its own before each plan's settings`},
		{"plan as string", "plan = \"Home\"\n",
			`config {path}: line 1: plan = "Home" is a string; write [[plan]] (with two brackets) on a line of its own before each plan's settings`},
		{"plan list of strings", "plan = [\"Home\"]\n",
			`config {path}: line 1: plan item 1 is a string, expected a table; write [[plan]] (with two brackets) on a line of its own before each plan's settings`},
		{"plans typo", "[[plans]]\nname = \"Home\"\n",
			`config {path}: line 1: unknown key "plans"; did you mean "plan" (written [[plan]])?`},
		{"plan key outside a plan", "[cost]\ncurrency = \"EUR\"\ncap = \"50GB\"\n",
			`config {path}: line 3: unknown key "cost.cap"; "cap" is a data plan setting: put it after a [[plan]] line`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, got := loadDoc(t, tc.doc, nil)
			if got != tc.want {
				t.Errorf("\n got: %s\nwant: %s", got, tc.want)
			}
			if got != "" && cfg.Plans != nil {
				t.Errorf("plans returned with an error: %+v", cfg.Plans)
			}
		})
	}
}

// TestPlanErrorsAllAtOnce: plan problems join the other problems of the
// file, in line order, each on the line of its own plan.
func TestPlanErrorsAllAtOnce(t *testing.T) {
	t.Parallel()
	doc := `[api]
port = 0
[[plan]]
name = "Home"
cap = "-1GB"
[[plan]]
name = "home"
rest_day = 3
reset_day = 40
[[plan]]
name = "Home"
cap = 5
[cost]
rate_per_gb = -1
`
	want := strings.Join([]string{
		`config {path}: line 2: api.port = 0: must be between 1 and 65535; the default is 7373`,
		`config {path}: line 5: plan "Home": cap = "-1GB": must be a positive size such as "50GB" or "1.5TiB"`,
		`config {path}: line 7: plan "home": name = "home": another plan has this name; plan names must be unique`,
		`config {path}: line 8: plan "home": unknown key "rest_day"; did you mean "reset_day"?`,
		`config {path}: line 9: plan "home": reset_day = 40: must be a day of the month between 1 and 31 (31 resets on the last day of shorter months)`,
		`config {path}: line 11: plan "Home": name = "Home": another plan has this name; plan names must be unique`,
		`config {path}: line 12: plan "Home": cap = 5: is a number without a unit; write a size in double quotes, e.g. cap = "50GB" (units: KB, MB, GB, TB or KiB, MiB, GiB, TiB)`,
		`config {path}: line 14: cost.rate_per_gb = -1: must be a finite number of 0 or more (the price of one GB), e.g. 7.5`,
	}, "\n")
	path := writeConfig(t, doc)
	_, err := Load(path, env(nil))
	if got := strings.ReplaceAll(errString(err), path, "{path}"); got != want {
		t.Errorf("\n got:\n%s\nwant:\n%s", got, want)
	}
	// Each is a *FieldError with the plan's key.
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		keys = append(keys, fe.Key)
	}
	wantKeys := []string{"api.port", "plan[0].cap", "plan[1].name", "plan[1].rest_day", "plan[1].reset_day",
		"plan[2].name", "plan[2].cap", "cost.rate_per_gb"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestPlanErrorsSameName: with three plans named alike, each error still
// gets the line of its own plan.
func TestPlanErrorsSameName(t *testing.T) {
	t.Parallel()
	doc := "[[plan]]\nname = \"A\"\ncap = \"x\"\n" +
		"[[plan]]\nname = \"A\"\ncap = \"y\"\n" +
		"[[plan]]\nname = \"A\"\n\ncap = \"z\"\n"
	want := strings.Join([]string{
		`config {path}: line 3: plan "A": cap = "x": must be a positive size such as "50GB" or "1.5TiB"`,
		`config {path}: line 5: plan "A": name = "A": another plan has this name; plan names must be unique`,
		`config {path}: line 6: plan "A": cap = "y": must be a positive size such as "50GB" or "1.5TiB"`,
		`config {path}: line 8: plan "A": name = "A": another plan has this name; plan names must be unique`,
		`config {path}: line 10: plan "A": cap = "z": must be a positive size such as "50GB" or "1.5TiB"`,
	}, "\n")
	if _, got := loadDoc(t, doc, nil); got != want {
		t.Errorf("\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestTooManyPlans(t *testing.T) {
	t.Parallel()
	doc := "# many\n" + strings.Repeat("[[plan]]\n", maxPlans+1)
	want := `config {path}: line 102: more than 100 [[plan]] tables; is this the right file?`
	if _, got := loadDoc(t, doc, nil); got != want {
		t.Errorf("\n got: %s\nwant: %s", got, want)
	}
}

// TestPlansTOMLRoundTrip: "pb config show" prints the plans as [[plan]]
// tables that load back to the same plans.
func TestPlansTOMLRoundTrip(t *testing.T) {
	t.Parallel()
	cfg, errText := loadDoc(t, plansDoc, nil)
	if errText != "" {
		t.Fatal(errText)
	}
	s, err := cfg.TOML()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(s, "\n[[plan]]\n"); n != 3 {
		t.Errorf("TOML() has %d [[plan]] tables, want 3:\n%s", n, s)
	}
	back, err := load([]byte(s), "show.toml", env(nil))
	if err != nil {
		t.Fatalf("TOML() output does not load: %v\n%s", err, s)
	}
	if diff := cmp.Diff(cfg.Plans, back.Plans); diff != "" {
		t.Errorf("plans after the round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cfg.RawPlans, back.RawPlans); diff != "" {
		t.Errorf("raw plans after the round trip (-want +got):\n%s", diff)
	}
	// Values are printed as the user wrote them.
	for _, frag := range []string{`cap = "1.5GiB"`, `currency = "eur"`, `offset = "-300MB"`, `thresholds = []`,
		`tiers = [{ up_to = "100GB", per_gb = 0.0 }, { per_gb = 0.5 }]`, `start = "2026-01-15"`} {
		if !strings.Contains(s, "\n"+frag+"\n") {
			t.Errorf("TOML() lacks %s:\n%s", frag, s)
		}
	}
}

// TestTemplatePlanExample: the template's commented [[plan]] example is a
// valid plan once uncommented, and it mentions every plan key.
func TestTemplatePlanExample(t *testing.T) {
	t.Parallel()
	tmpl := Template()
	i := strings.Index(tmpl, "\n# [[plan]]\n")
	if i < 0 {
		t.Fatalf("the template has no [[plan]] example:\n%s", tmpl)
	}
	var b strings.Builder
	b.WriteString(tmpl[:i+1])
	for _, l := range strings.SplitAfter(tmpl[i+1:], "\n") {
		b.WriteString(strings.TrimPrefix(l, "# "))
	}
	cfg, err := load([]byte(b.String()), "template.toml", env(nil))
	if err != nil {
		t.Fatalf("the uncommented example does not load: %v\n%s", err, b.String()[i:])
	}
	if len(cfg.Plans) != 1 || cfg.Plans[0].Name != "Home fibre" || cfg.Plans[0].Cycle.ResetDay != 31 ||
		cfg.Plans[0].Price.Kind != plan.FixedOverage {
		t.Errorf("example plan = %+v", cfg.Plans)
	}
	example := tmpl[i:]
	for _, f := range planFields {
		if !strings.Contains(example, "\n# "+f.key+" = ") && !strings.Contains(example, "\n# #"+f.key+" = ") {
			t.Errorf("the template's plan example lacks %s", f.key)
		}
	}
	for _, word := range []string{"no environment variable", "rx+tx", "ISO 4217", "shorter months", "[50, 80, 90, 100]"} {
		if !strings.Contains(example, word) && !strings.Contains(tmpl, word) {
			t.Errorf("the template does not mention %q", word)
		}
	}
}

func TestValidatePlans(t *testing.T) {
	t.Parallel()
	c := Default()
	day := 0
	c.RawPlans = []plan.RawSpec{{Name: "Home", ResetDay: &day}, {Name: "home"}}
	want := "config: plan \"Home\": reset_day = 0: must be a day of the month between 1 and 31 (31 resets on the last day of shorter months)\n" +
		"config: plan \"home\": name = \"home\": another plan has this name; plan names must be unique"
	err := c.Validate()
	if err == nil || err.Error() != want {
		t.Fatalf("Validate()\n got: %v\nwant: %s", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Key != "plan[0].reset_day" || fe.Value != "0" {
		t.Errorf("first error: %#v", fe)
	}
}

func TestRedactedCopiesPlans(t *testing.T) {
	t.Parallel()
	cfg, errText := loadDoc(t, plansDoc, nil)
	if errText != "" {
		t.Fatal(errText)
	}
	r := cfg.Redacted()
	if diff := cmp.Diff(cfg.Plans, r.Plans); diff != "" {
		t.Fatalf("Redacted changed the plans:\n%s", diff)
	}
	r.Plans[0].Interfaces[0] = "x"
	r.Plans[0].Thresholds[0] = 1
	r.Plans[0].Price.Tiers[0].PerGB = 9
	r.RawPlans[0].Tiers[0].UpTo = "x"
	*r.RawPlans[0].ResetDay = 1
	r.RawPlans[0].Thresholds[0] = 1
	if diff := cmp.Diff(wantPlans, cfg.Plans); diff != "" {
		t.Errorf("changing the Redacted copy changed the plans:\n%s", diff)
	}
	if cfg.RawPlans[0].Tiers[0].UpTo != "100GB" || *cfg.RawPlans[0].ResetDay != 31 || cfg.RawPlans[0].Thresholds[0] != 90 {
		t.Errorf("changing the Redacted copy changed the raw plans: %+v", cfg.RawPlans[0])
	}
}

func TestPlanLines(t *testing.T) {
	t.Parallel()
	doc := "[[plan]]\nname = \"a\"\ntiers = [\n  { per_gb = 1 },\n]\ncap = \"1GB\"\n" +
		"[api]\nport = 1\n" +
		"[[ plan ]] # second\n\"name\" = \"b\"\nplan = \"not a plan key\"\n" +
		"[[plan.tiers]]\nper_gb = 1\n"
	want := []map[string]int{
		{"": 1, "name": 2, "tiers": 3, "cap": 6},
		{"": 9, "name": 10, "plan": 11, "tiers": 12},
	}
	if diff := cmp.Diff(want, planLines(doc)); diff != "" {
		t.Errorf("planLines (-want +got):\n%s", diff)
	}
}
