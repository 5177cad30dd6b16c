package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
)

// maxPlans bounds the number of [[plan]] tables. Nobody has a hundred data
// plans: a file with more is corrupt or the wrong file, and the daemon
// evaluates every plan once a minute.
const maxPlans = 100

// planField is one key of a [[plan]] table. Like fields, this table is the
// only list of plan keys: decoding, typo suggestions, rendering and the tests
// of the template walk it.
type planField struct {
	key     string
	want    string // what the value must be, for type errors
	example string // a valid right-hand side
	size    bool   // a byte size: a bare number gets a "needs a unit" hint
	date    bool   // a date: an unquoted TOML date is accepted
	ptr     func(*plan.RawSpec) any
}

var planFields = []planField{
	{key: "name", want: "a string in double quotes", example: `"Home fibre"`,
		ptr: func(r *plan.RawSpec) any { return &r.Name }},
	{key: "interfaces", want: "a list of strings", example: `["eth0", "wlan*"]`,
		ptr: func(r *plan.RawSpec) any { return &r.Interfaces }},
	{key: "networks", want: "a list of strings", example: `["Pixel hotspot"]`,
		ptr: func(r *plan.RawSpec) any { return &r.Networks }},
	{key: "cap", want: "a size in double quotes", example: `"50GB"`, size: true,
		ptr: func(r *plan.RawSpec) any { return &r.Cap }},
	{key: "cycle", want: "a string in double quotes", example: `"monthly"`,
		ptr: func(r *plan.RawSpec) any { return &r.Cycle }},
	{key: "reset_day", want: "a whole number", example: `1`,
		ptr: func(r *plan.RawSpec) any { return &r.ResetDay }},
	{key: "every_days", want: "a whole number", example: `28`,
		ptr: func(r *plan.RawSpec) any { return &r.EveryDays }},
	{key: "start", want: "a date in double quotes", example: `"2026-01-15"`, date: true,
		ptr: func(r *plan.RawSpec) any { return &r.Start }},
	{key: "expires", want: "a date in double quotes", example: `"2026-02-14"`, date: true,
		ptr: func(r *plan.RawSpec) any { return &r.Expires }},
	{key: "counts", want: "a string in double quotes", example: `"rx+tx"`,
		ptr: func(r *plan.RawSpec) any { return &r.Counts }},
	{key: "offset", want: "a size in double quotes", example: `"-300MB"`, size: true,
		ptr: func(r *plan.RawSpec) any { return &r.Offset }},
	{key: "currency", want: "a string in double quotes", example: `"EUR"`,
		ptr: func(r *plan.RawSpec) any { return &r.Currency }},
	{key: "price_per_gb", want: "a number", example: `0.5`,
		ptr: func(r *plan.RawSpec) any { return &r.PricePerGB }},
	{key: "fixed_fee", want: "a number", example: `30.0`,
		ptr: func(r *plan.RawSpec) any { return &r.FixedFee }},
	{key: "overage_per_gb", want: "a number", example: `2.0`,
		ptr: func(r *plan.RawSpec) any { return &r.OveragePerGB }},
	{key: "tiers", want: "a list of inline tables", example: `[{ up_to = "10GB", per_gb = 1.0 }, { per_gb = 0.5 }]`,
		ptr: func(r *plan.RawSpec) any { return &r.Tiers }},
	{key: "thresholds", want: "a list of whole numbers", example: `[50, 80, 90, 100]`,
		ptr: func(r *plan.RawSpec) any { return &r.Thresholds }},
}

// tierKeys are the keys of one price tier, { up_to = "10GB", per_gb = 1.0 }.
var tierKeys = []string{"up_to", "per_gb"}

const tierExample = `{ up_to = "10GB", per_gb = 1.0 }`

// planLines maps each [[plan]] table, in order, to the lines of its keys
// (the first line of each, by key name relative to the table; tiers[i] keys
// map to the tiers line). The header's own line is under "". keyLines keeps
// only the first occurrence of "plan.cap", which is the first plan's.
func planLines(doc string) []map[string]int {
	text := strings.Split(doc, "\n")
	var out []map[string]int
	scanKeys(doc, func(path []string, line int) {
		if len(path) == 0 || path[0] != "plan" {
			return
		}
		if len(path) == 1 {
			// Only an array-of-tables header starts a plan; "plan = [...]"
			// keeps its plans on its own line(s).
			if strings.HasPrefix(strings.TrimSpace(text[line-1]), "[[") {
				out = append(out, map[string]int{"": line})
			}
			return
		}
		if len(out) == 0 {
			return
		}
		cur := out[len(out)-1]
		if _, ok := cur[path[1]]; !ok {
			cur[path[1]] = line
		}
	})
	return out
}

// planDecoder turns the decoded "plan" value into plan.RawSpecs, reporting
// every problem with the line of the key in its own [[plan]] table.
type planDecoder struct {
	path     string
	doc      string
	lines    map[string]int   // keyLines of the whole document
	perPlan  []map[string]int // planLines
	problems []*FieldError
	// failed records the keys of each plan whose value could not be
	// decoded, so that plan.Parse's complaint about the resulting zero value
	// ("every plan needs a name") does not repeat the problem.
	failed []map[string]bool
}

// line returns the line of key in plan i: the key's own line, else the
// [[plan]] header's, else the line of "plan" itself (plans written as an
// inline array).
func (d *planDecoder) line(i int, key string) int {
	if i < len(d.perPlan) {
		if n, ok := d.perPlan[i][key]; ok {
			return n
		}
		return d.perPlan[i][""]
	}
	return lineOf(d.lines, "plan")
}

// add records a problem with key of plan i, in plan.FieldError's words so
// decoding and validation errors read the same.
func (d *planDecoder) add(i int, key string, pe *plan.FieldError) {
	name := pe.Field
	if name == "" {
		name = key
	}
	d.problems = append(d.problems, &FieldError{
		Path: d.path, Line: d.line(i, key), Key: planKey(i, name),
		Value: pe.Value, Msg: pe.Error(), bare: true,
	})
}

// planKey is the FieldError.Key of a problem with field of plan i (0-based,
// as plan.Parse counts tiers): "plan[1].cap", or "plan[1]".
func planKey(i int, field string) string {
	k := fmt.Sprintf("plan[%d]", i)
	if field != "" {
		k += "." + field
	}
	return k
}

// decodePlans decodes the top-level "plan" value into cfg.RawPlans and,
// when every plan is valid, cfg.Plans.
func decodePlans(cfg *Config, v any, doc, path string, lines map[string]int) []*FieldError {
	d := &planDecoder{path: path, doc: doc, lines: lines, perPlan: planLines(doc)}
	line := lineOf(lines, "plan")
	shape := func(msg string) []*FieldError {
		return []*FieldError{{Path: path, Line: line, Key: "plan", Msg: msg, bare: true}}
	}
	const howTo = "write [[plan]] (with two brackets) on a line of its own before each plan's settings"

	var tables []map[string]any
	switch x := v.(type) {
	case []map[string]any:
		tables = x
	case []any:
		for i, item := range x {
			t, ok := item.(map[string]any)
			if !ok {
				return shape(fmt.Sprintf("plan item %d is %s, expected a table; %s", i+1, typeName(item), howTo))
			}
			tables = append(tables, t)
		}
	case map[string]any:
		if line > 0 && strings.HasPrefix(strings.TrimSpace(lineText(doc, line)), "[") {
			return shape("[plan] must be written [[plan]], with two brackets: each data plan is one [[plan]] table, and several may follow each other")
		}
		return shape("plan is a single inline table; " + howTo)
	default:
		return shape(fmt.Sprintf("plan = %s is %s; %s", renderRaw(v), typeName(v), howTo))
	}
	if len(tables) > maxPlans {
		extra := maxPlans // index of the first plan too many
		if extra < len(d.perPlan) {
			line = d.perPlan[extra][""]
		}
		return shape(fmt.Sprintf("more than %d [[plan]] tables; is this the right file?", maxPlans))
	}

	raws := make([]plan.RawSpec, len(tables))
	d.failed = make([]map[string]bool, len(tables))
	for i, t := range tables {
		d.failed[i] = map[string]bool{}
		d.decodeTable(i, t, &raws[i])
	}
	cfg.RawPlans = raws
	specs, err := plan.Parse(raws)
	if err == nil {
		cfg.Plans = specs
		return d.problems
	}
	for _, pe := range planErrors(err) {
		key := planFieldBase(pe.Field)
		if d.failed[pe.Index][key] {
			continue
		}
		d.add(pe.Index, key, pe)
	}
	return d.problems
}

// planErrors lists the *plan.FieldError values plan.Parse joined; each
// says which plan (Index) it is about, which the name cannot when two plans
// share one.
func planErrors(err error) []*plan.FieldError {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]*plan.FieldError, 0, len(errs))
	for _, e := range errs {
		pe := &plan.FieldError{Msg: e.Error()} // Parse returns only FieldErrors; never drop another
		errors.As(e, &pe)
		out = append(out, pe)
	}
	return out
}

// planFieldBase is the [[plan]] key an error's field is about: "tiers" for
// "tiers[1].up_to".
func planFieldBase(field string) string {
	if i := strings.IndexAny(field, "[."); i >= 0 {
		return field[:i]
	}
	return field
}

// planLabel names plan i the way plan.Parse does: its name, or "#2".
func planLabel(t map[string]any, i int) string {
	if s, ok := t["name"].(string); ok && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s)
	}
	return fmt.Sprintf("#%d", i+1)
}

// decodeTable decodes one [[plan]] table into r.
func (d *planDecoder) decodeTable(i int, t map[string]any, r *plan.RawSpec) {
	label := planLabel(t, i)
	for _, k := range slices.Sorted(maps.Keys(t)) {
		v := t[k]
		f, ok := planFieldByKey(k)
		if !ok {
			msg := fmt.Sprintf("unknown key %q", shorten(k))
			if s := suggestAmong(k, planKeys()); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			d.add(i, k, &plan.FieldError{Plan: label, Msg: msg})
			continue
		}
		if field, msg := setPlanField(r, f, v); msg != "" {
			d.failed[i][k] = true
			value := renderRaw(v)
			if field != f.key {
				value = "" // the message names the item
			}
			d.add(i, k, &plan.FieldError{Plan: label, Field: field, Value: value, Msg: msg})
		}
	}
}

// planFieldByKey finds a [[plan]] key.
func planFieldByKey(key string) (planField, bool) {
	for _, f := range planFields {
		if f.key == key {
			return f, true
		}
	}
	return planField{}, false
}

// planKeys lists the [[plan]] keys, for typo suggestions.
func planKeys() []string {
	keys := make([]string, len(planFields))
	for i, f := range planFields {
		keys[i] = f.key
	}
	return keys
}

// suggestAmong returns the candidate closest to an unknown key, or "" when
// none is close enough to be a likely typo (the same limit as suggest).
func suggestAmong(unknown string, candidates []string) string {
	if len(unknown) > 64 {
		return ""
	}
	u := strings.ToLower(unknown)
	best, bestDist := "", math.MaxInt
	for _, c := range candidates {
		dist := levenshtein(u, c)
		if dist <= 1+len(c)/4 && dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// setPlanField stores a decoded TOML value in r. On failure it returns the
// field the problem is about ("tiers[1].per_gb" for a bad tier) and why.
func setPlanField(r *plan.RawSpec, f planField, v any) (field, msg string) {
	wrong := func() (string, string) {
		return f.key, fmt.Sprintf("is %s, expected %s; e.g. %s = %s", typeName(v), f.want, f.key, f.example)
	}
	switch p := f.ptr(r).(type) {
	case *string:
		switch x := v.(type) {
		case string:
			*p = x
		case int64, float64:
			if f.size {
				return f.key, fmt.Sprintf("is a number without a unit; write a size in double quotes, e.g. %s = %s (units: KB, MB, GB, TB or KiB, MiB, GiB, TiB)",
					f.key, f.example)
			}
			return wrong()
		case time.Time:
			// An unquoted date (start = 2026-01-15) is a TOML local date;
			// it means what the quoted one would.
			if !f.date || x.Location().String() != "date-local" {
				return wrong()
			}
			*p = x.Format(time.DateOnly)
		default:
			return wrong()
		}
	case *int:
		n, msg := planInt(v)
		if msg != "" {
			return wrong()
		}
		*p = n
	case **int:
		n, msg := planInt(v)
		if msg != "" {
			return wrong()
		}
		*p = &n
	case *float64:
		n, ok := toFloat(v)
		if !ok {
			return wrong()
		}
		*p = n
	case *[]string:
		list, msg, ok := toStrings(v, f.key, f.example)
		if !ok {
			return wrong()
		}
		if msg != "" {
			return f.key, msg
		}
		*p = list
	case *[]int:
		list, ok := v.([]any)
		if !ok {
			return wrong()
		}
		out := make([]int, 0, len(list))
		for j, item := range list {
			n, msg := planInt(item)
			if msg != "" {
				return f.key, fmt.Sprintf("item %d is %s, expected a list of whole numbers; e.g. %s = %s", j+1, typeName(item), f.key, f.example)
			}
			out = append(out, n)
		}
		*p = out
	case *[]plan.RawTier:
		return setTiers(p, f, v)
	default:
		panic("config: plan key " + f.key + " has an unsupported type")
	}
	return "", ""
}

// planInt converts a TOML integer to int.
func planInt(v any) (int, string) {
	i, ok := v.(int64)
	if !ok {
		return 0, "not a whole number"
	}
	if int64(int(i)) != i {
		return 0, "too large"
	}
	return int(i), ""
}

// setTiers decodes tiers = [{ up_to = "10GB", per_gb = 1.0 }, ...], also
// written as [[plan.tiers]] tables.
func setTiers(p *[]plan.RawTier, f planField, v any) (field, msg string) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []map[string]any:
		for _, t := range x {
			items = append(items, t)
		}
	default:
		return f.key, fmt.Sprintf("is %s, expected %s; e.g. %s = %s", typeName(v), f.want, f.key, f.example)
	}
	out := make([]plan.RawTier, 0, len(items))
	for j, item := range items {
		name := fmt.Sprintf("%s[%d]", f.key, j) // 0-based, as plan.Parse names tiers
		t, ok := item.(map[string]any)
		if !ok {
			return name, fmt.Sprintf("is %s, expected an inline table such as %s", typeName(item), tierExample)
		}
		var tier plan.RawTier
		for _, k := range slices.Sorted(maps.Keys(t)) {
			switch x := t[k]; k {
			case "up_to":
				s, ok := x.(string)
				if !ok {
					return name + ".up_to", fmt.Sprintf("is %s, expected a size in double quotes such as \"10GB\" (leave it out in the last tier)", typeName(x))
				}
				tier.UpTo = s
			case "per_gb":
				switch n := x.(type) {
				case float64:
					tier.PerGB = n
				case int64:
					tier.PerGB = float64(n)
				default:
					return name + ".per_gb", fmt.Sprintf("is %s, expected a number such as 1.0", typeName(x))
				}
			default:
				msg := fmt.Sprintf("unknown key %q in a tier, which has up_to and per_gb", shorten(k))
				if s := suggestAmong(k, tierKeys); s != "" {
					msg = fmt.Sprintf("unknown key %q; did you mean %q?", shorten(k), s)
				}
				return name, msg
			}
		}
		out = append(out, tier)
	}
	*p = out
	return "", ""
}

// renderPlanField writes a plan key's value as TOML, or "" when it was left
// out. Lists are written even when empty: thresholds = [] (no alerts)
// differs from no thresholds (the defaults).
func renderPlanField(f planField, r *plan.RawSpec) string {
	switch p := f.ptr(r).(type) {
	case *string:
		if *p != "" {
			return quote(*p)
		}
	case *int:
		if *p != 0 {
			return itoa(*p)
		}
	case **int:
		if *p != nil {
			return itoa(**p)
		}
	case *float64:
		if *p != 0 {
			return formatFloat(*p)
		}
	case *[]string:
		if *p != nil {
			return quoteList(*p)
		}
	case *[]int:
		if *p != nil {
			parts := make([]string, len(*p))
			for i, n := range *p {
				parts[i] = itoa(n)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
	case *[]plan.RawTier:
		if *p != nil {
			parts := make([]string, len(*p))
			for i, t := range *p {
				var kv []string
				if t.UpTo != "" {
					kv = append(kv, "up_to = "+quote(t.UpTo))
				}
				kv = append(kv, "per_gb = "+formatFloat(t.PerGB))
				parts[i] = "{ " + strings.Join(kv, ", ") + " }"
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
	}
	return ""
}

// writePlans writes raws as [[plan]] tables.
func writePlans(b *strings.Builder, raws []plan.RawSpec) {
	for i := range raws {
		b.WriteString("\n[[plan]]\n")
		for _, f := range planFields {
			if s := renderPlanField(f, &raws[i]); s != "" {
				b.WriteString(f.key + " = " + s + "\n")
			}
		}
	}
}

// planProblems validates raw plans without a file, for Validate.
func planProblems(raws []plan.RawSpec) []*FieldError {
	if len(raws) > maxPlans {
		return []*FieldError{{Key: "plan", Msg: fmt.Sprintf("more than %d [[plan]] tables", maxPlans), bare: true}}
	}
	_, err := plan.Parse(raws)
	if err == nil {
		return nil
	}
	var out []*FieldError
	for _, pe := range planErrors(err) {
		out = append(out, &FieldError{Key: planKey(pe.Index, pe.Field), Value: pe.Value, Msg: pe.Error(), bare: true})
	}
	return out
}

// clonePlans deep-copies plans so a Redacted copy shares nothing.
func clonePlans(raws []plan.RawSpec, specs []plan.Spec) ([]plan.RawSpec, []plan.Spec) {
	raws = slices.Clone(raws)
	for i := range raws {
		r := &raws[i]
		r.Interfaces = slices.Clone(r.Interfaces)
		r.Networks = slices.Clone(r.Networks)
		r.Tiers = slices.Clone(r.Tiers)
		r.Thresholds = slices.Clone(r.Thresholds)
		if r.ResetDay != nil {
			d := *r.ResetDay
			r.ResetDay = &d
		}
	}
	specs = slices.Clone(specs)
	for i := range specs {
		s := &specs[i]
		s.Interfaces = slices.Clone(s.Interfaces)
		s.Networks = slices.Clone(s.Networks)
		s.Thresholds = slices.Clone(s.Thresholds)
		s.Price.Tiers = slices.Clone(s.Price.Tiers)
	}
	return raws, specs
}
