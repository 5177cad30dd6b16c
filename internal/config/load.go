package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/packetbuddy/pb/internal/redact"
)

// Options say where the data directory and the config file are. Empty fields
// fall back to the environment, then to the defaults.
type Options struct {
	// DataDir is the --data-dir flag; "" means PB_DATA_DIR, then
	// ~/.packetbuddy.
	DataDir string
	// ConfigPath is the --config flag; "" means PB_CONFIG, then
	// <data dir>/config.toml.
	ConfigPath string
	// Getenv reads the environment; nil means os.Getenv. Tests pass a map's
	// lookup so they never depend on the machine they run on.
	Getenv func(string) string
}

// Paths is where Options point.
type Paths struct {
	DataDir string // absolute
	Config  string // absolute
	// Explicit is true when the config path was given (--config or
	// PB_CONFIG) rather than derived from the data directory. A missing
	// explicit file is an error; a missing default file means defaults.
	Explicit bool
	// From names where the config path came from: "--config", "PB_CONFIG"
	// or "" for the default.
	From string
}

func (o Options) getenv() func(string) string {
	if o.Getenv != nil {
		return o.Getenv
	}
	return os.Getenv
}

// Paths resolves the data directory and config file: flags first, then
// PB_DATA_DIR and PB_CONFIG, then ~/.packetbuddy and <data dir>/config.toml.
// A leading "~/" is expanded, since values from config files and service
// definitions do not pass through a shell.
func (o Options) Paths() (Paths, error) {
	getenv := o.getenv()
	var p Paths
	p.DataDir = o.DataDir
	if p.DataDir == "" {
		p.DataDir = getenv("PB_DATA_DIR")
	}
	if p.DataDir == "" {
		d, err := DefaultDataDir()
		if err != nil {
			return Paths{}, err
		}
		p.DataDir = d
	}
	switch {
	case o.ConfigPath != "":
		p.Config, p.Explicit, p.From = o.ConfigPath, true, "--config"
	case getenv("PB_CONFIG") != "":
		p.Config, p.Explicit, p.From = getenv("PB_CONFIG"), true, "PB_CONFIG"
	}
	var err error
	if p.DataDir, err = absPath(p.DataDir); err != nil {
		return Paths{}, fmt.Errorf("data directory %q: %w", p.DataDir, err)
	}
	if p.Config == "" {
		p.Config = filepath.Join(p.DataDir, FileName)
	}
	if p.Config, err = absPath(p.Config); err != nil {
		return Paths{}, fmt.Errorf("config %q: %w", p.Config, err)
	}
	return p, nil
}

// absPath expands "~" and makes p absolute, so messages name a file the user
// can open from anywhere.
func absPath(p string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	return filepath.Abs(p)
}

// Load reads the configuration: defaults, then the file at path, then PB_*
// environment variables, then validation. An empty path means PB_CONFIG, then
// <data dir>/config.toml, where a missing file is not an error (defaults
// apply); a path that was given must exist. getenv reads the environment (nil
// means os.Getenv).
//
// The error lists every problem found, each a *FieldError.
func Load(path string, getenv func(string) string) (Config, error) {
	return LoadWith(Options{ConfigPath: path, Getenv: getenv})
}

// LoadWith is Load with the data directory flag too; see Options.
func LoadWith(o Options) (Config, error) {
	p, err := o.Paths()
	if err != nil {
		return Config{}, err
	}
	data, err := os.ReadFile(p.Config)
	path := p.Config
	switch {
	case errors.Is(err, fs.ErrNotExist) && !p.Explicit:
		data, path = nil, ""
	case errors.Is(err, fs.ErrNotExist):
		return Config{}, &FieldError{Path: p.Config, Msg: fmt.Sprintf(
			"file not found (given by %s); check the path, or create the file with \"pb config init\"", p.From)}
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return Config{}, &FieldError{Path: p.Config, Msg: "cannot read the file: " + err.Error()}
	}
	cfg, err := load(data, path, o.getenv())
	if err != nil {
		return Config{}, err
	}
	cfg.DataDir = p.DataDir
	return cfg, nil
}

// maxFileSize bounds the config file: the template is about 4 KB, and the
// decoder's time grows faster than linearly on some inputs.
const maxFileSize = 1 << 20

// source records where a setting's value came from, for messages.
type source struct {
	line int    // line in the file, if it came from the file
	env  string // variable name, if it came from the environment
	raw  string // the value as written (TOML) or typed (quoted); "" if secret
}

// load is Load after the file has been read (data is nil when there is no
// file). It is separate so the fuzz test can drive it without files.
func load(data []byte, path string, getenv func(string) string) (Config, error) {
	if len(data) > maxFileSize {
		return Config{}, &FieldError{Path: path, Msg: fmt.Sprintf(
			"the file is %d bytes, more than the %d allowed; a PacketBuddy config is a few kilobytes, so is this the right file?",
			len(data), maxFileSize)}
	}
	cfg := Default()
	cfg.Path = path
	src := map[string]source{}
	doc := string(data)
	secrets := secretsIn(doc)

	var problems []*FieldError
	if data != nil {
		fileProblems, fatal := decodeFile(&cfg, doc, path, src)
		if fatal != nil {
			fatal.Msg = scrub(fatal.Msg, secrets)
			return Config{}, fatal
		}
		problems = append(problems, fileProblems...)
	}
	problems = append(problems, applyEnv(&cfg, getenv, src)...)
	if !cfg.Sync.On {
		// After the environment: 1.x kept sync off even with NEON_DB_URL set.
		cfg.Sync.DatabaseURL = ""
	}
	cfg.normalize()

	// Whatever reached the config as the database URL is a secret too, even
	// if it does not look like a URL.
	if u := cfg.Sync.DatabaseURL; u != "" {
		for _, s := range []string{u, passwordOfAny(u)} {
			if len(s) >= minSecretLen && s != examplePassword {
				secrets = append(secrets, s)
			}
		}
		slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	}

	reported := map[string]bool{}
	for _, p := range problems {
		reported[p.Key] = true
	}
	for _, p := range cfg.problems() {
		if reported[p.Key] {
			continue // its value was not applied; the first message is the useful one
		}
		s := src[p.Key]
		switch {
		case s.env != "":
			p.Env = s.env
			if p.Value != "" {
				p.Value = s.raw
			}
		case s.line > 0:
			p.Path, p.Line = path, s.line
			if p.Value != "" && s.raw != "" {
				p.Value = s.raw
			}
		default:
			p.Path = path
		}
		problems = append(problems, p)
	}
	if len(problems) == 0 {
		return cfg, nil
	}
	// File problems in line order, then those from the environment.
	slices.SortStableFunc(problems, func(a, b *FieldError) int {
		return problemOrder(a) - problemOrder(b)
	})
	errs := make([]error, len(problems))
	for i, p := range problems {
		p.Msg = scrub(p.Msg, secrets)
		p.Value = scrub(p.Value, secrets)
		errs[i] = p
	}
	return Config{}, errors.Join(errs...)
}

// problemOrder sorts problems the way a user fixes them: top of the file
// first, then settings without a line, then environment variables.
func problemOrder(p *FieldError) int {
	switch {
	case p.Env != "":
		return math.MaxInt32
	case p.Line == 0:
		return math.MaxInt32 - 1
	}
	return p.Line
}

// passwordOfAny returns the password in a URL or key=value connection string,
// or "".
func passwordOfAny(s string) string {
	if strings.Contains(s, "://") {
		if p := redact.UserPassword(s); p != "" {
			return p
		}
	}
	if ps := redact.ParamPasswords(s); len(ps) > 0 {
		return ps[0]
	}
	return ""
}

// normalize tidies values that have one canonical spelling, before they are
// validated and used.
func (c *Config) normalize() {
	c.Timezone = strings.TrimSpace(c.Timezone)
	c.API.Host = strings.TrimSpace(c.API.Host)
	c.Sync.DatabaseURL = strings.TrimSpace(c.Sync.DatabaseURL)
	c.Cost.Currency = strings.TrimSpace(c.Cost.Currency)
	c.Alerts.WebhookURL = strings.TrimSpace(c.Alerts.WebhookURL)
	c.Alerts.WebhookFormat = strings.ToLower(strings.TrimSpace(c.Alerts.WebhookFormat))
	c.Display.Units = strings.ToLower(strings.TrimSpace(c.Display.Units))
	if cur, ok := lookupCurrency(c.Cost.Currency); ok {
		c.Cost.Currency = cur
	}
}

// decodeFile applies a TOML document to cfg. A syntax error is fatal (nothing
// after it can be trusted); type errors and unknown keys are collected.
func decodeFile(cfg *Config, doc, path string, src map[string]source) ([]*FieldError, *FieldError) {
	if line := tooDeep(doc); line > 0 {
		return nil, &FieldError{Path: path, Line: line, Msg: fmt.Sprintf(
			"keys or values nested more than %d levels deep; PacketBuddy's settings have two levels (section.key)", maxNesting)}
	}
	var raw map[string]any
	if _, err := toml.Decode(doc, &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, syntaxError(pe, doc, path)
		}
		return nil, &FieldError{Path: path, Msg: "invalid TOML"}
	}
	lines := keyLines(doc)
	var problems []*FieldError
	var pending []pendingLegacy
	set := map[string]bool{}
	var walk func(m map[string]any, prefix []string)
	walk = func(m map[string]any, prefix []string) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			parts := append(append([]string(nil), prefix...), k)
			key := joinKey(parts)
			line := lineOf(lines, key)
			if f, ok := fieldByKey(key); ok {
				s := source{line: line}
				if !f.secret {
					s.raw = renderRaw(v)
				}
				src[key] = s
				set[key] = true
				if p, isDur := f.ptr(cfg).(*time.Duration); isDur && legacySeconds[key] {
					if msg, ok := legacyDuration(p, v); ok {
						cfg.Legacy = append(cfg.Legacy, Notice{Path: path, Line: line, Key: key, Value: s.raw, Msg: msg})
						continue
					}
				}
				if msg := setField(cfg, f, v); msg != "" {
					problems = append(problems, &FieldError{Path: path, Line: line, Key: key, Value: s.raw, Msg: msg})
				}
				continue
			}
			if len(parts) == 1 && key == "plan" {
				problems = append(problems, decodePlans(cfg, v, doc, path, lines)...)
				continue
			}
			if action, ok := legacyKeys[key]; ok {
				pending = append(pending, pendingLegacy{key: key, line: line, v: v, action: action})
				continue
			}
			if (len(parts) == 1 && isTable(key)) || legacyTables[key] {
				if sub, ok := v.(map[string]any); ok {
					walk(sub, parts)
				} else {
					problems = append(problems, &FieldError{Path: path, Line: line, Key: key, Value: renderRaw(v),
						Msg: fmt.Sprintf("is %s, expected a section: write [%s] on a line of its own, then its settings", typeName(v), key)})
				}
				continue
			}
			problems = append(problems, unknownKey(path, line, key, v))
		}
	}
	walk(raw, nil)
	slices.SortStableFunc(pending, func(a, b pendingLegacy) int { return a.line - b.line })
	problems = append(problems, applyLegacy(cfg, path, pending, set)...)
	slices.SortStableFunc(cfg.Legacy, func(a, b Notice) int { return a.Line - b.Line })
	return problems, nil
}

// unknownKey reports a key PacketBuddy does not know, with the closest known
// one when it looks like a typo. Silently ignoring it would leave the user
// believing a setting is in effect.
func unknownKey(path string, line int, key string, v any) *FieldError {
	what := "key"
	if _, ok := v.(map[string]any); ok {
		what = "section"
	}
	msg := fmt.Sprintf("unknown %s %q", what, shorten(key))
	if s := suggest(key); s != "" {
		msg += fmt.Sprintf("; did you mean %q", s)
		if s == "plan" {
			msg += " (written [[plan]])"
		} else if sec := section(s); sec != "" && sec != section(key) {
			msg += fmt.Sprintf(" (under [%s])", sec)
		}
		msg += "?"
	} else if _, ok := planFieldByKey(leaf(key)); ok {
		// A plan setting outside a [[plan]] table: most likely the header
		// was forgotten.
		msg += fmt.Sprintf("; %q is a data plan setting: put it after a [[plan]] line", leaf(key))
	}
	return &FieldError{Path: path, Line: line, Key: key, Msg: msg, bare: true}
}

// setField stores a decoded TOML value in cfg, or says why it cannot.
func setField(cfg *Config, f field, v any) string {
	wrong := func() string {
		return fmt.Sprintf("is %s, expected %s; e.g. %s = %s", typeName(v), f.kind.describe(), leaf(f.key), f.example)
	}
	switch p := f.ptr(cfg).(type) {
	case *string:
		s, ok := v.(string)
		if !ok {
			return wrong()
		}
		*p = s
	case *int:
		i, ok := v.(int64)
		if !ok {
			return wrong()
		}
		if int64(int(i)) != i {
			return "is too large"
		}
		*p = int(i)
	case *float64:
		n, ok := toFloat(v)
		if !ok {
			return wrong()
		}
		*p = n
	case *time.Duration:
		s, ok := v.(string)
		if !ok {
			if _, isInt := v.(int64); isInt {
				return fmt.Sprintf("is a number without a unit; write a duration in double quotes, e.g. %s = %s (units: ms, s, m, h)",
					leaf(f.key), f.example)
			}
			return wrong()
		}
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return durationHelp(leaf(f.key) + " = " + f.example)
		}
		*p = d
	case *bool:
		b, ok := v.(bool)
		if !ok {
			return wrong()
		}
		*p = b
	case *[]string:
		list, msg, ok := toStrings(v, leaf(f.key), f.example)
		if !ok {
			return wrong()
		}
		if msg != "" {
			return msg
		}
		*p = list
	}
	return ""
}

// toFloat reads a TOML number: a float, or an integer where a float is
// expected.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// toStrings reads a TOML array of strings. ok is false when v is not an
// array; msg explains an item that is not a string, with key = example.
func toStrings(v any, key, example string) (list []string, msg string, ok bool) {
	items, ok := v.([]any)
	if !ok {
		return nil, "", false
	}
	list = make([]string, 0, len(items))
	for i, item := range items {
		s, isStr := item.(string)
		if !isStr {
			return nil, fmt.Sprintf("item %d is %s, expected a list of strings; e.g. %s = %s", i+1, typeName(item), key, example), true
		}
		list = append(list, s)
	}
	return list, "", true
}

// shorten cuts text quoted from the file to a length that fits a message.
func shorten(s string) string {
	const maxLen = 80
	if utf8.RuneCountInString(s) <= maxLen {
		return s
	}
	return string([]rune(s)[:maxLen-1]) + "…"
}

// durationHelp explains the duration syntax, ending with an example.
func durationHelp(example string) string {
	return `not a duration; write a number with a unit and no spaces (units: ms, s, m, h), e.g. ` + example
}

// typeName names a decoded TOML value's type for messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "a whole number"
	case float64:
		return "a decimal number"
	case bool:
		return "true/false"
	case time.Time:
		return "a date/time"
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "a section (table)"
	}
	return "an unsupported value"
}

// renderRaw writes a decoded value back as TOML, shortened, for messages.
func renderRaw(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = quote(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = formatFloat(x)
	case bool:
		s = strconv.FormatBool(x)
	case time.Time:
		s = x.Format(time.RFC3339Nano)
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = renderRaw(item)
		}
		s = "[" + strings.Join(parts, ", ") + "]"
	case []map[string]any:
		s = "[[...]]"
	case map[string]any:
		s = "{...}"
	default:
		s = "?"
	}
	return shorten(s)
}

// applyEnv applies PB_* overrides. A value that cannot be parsed is reported
// with the variable's name; the rest still apply.
func applyEnv(cfg *Config, getenv func(string) string, src map[string]source) []*FieldError {
	var problems []*FieldError
	for _, f := range fields {
		name := f.env
		v := getenv(name)
		if v == "" {
			if old, ok := legacyEnv[name]; ok && getenv(old) != "" {
				name, v = old, getenv(old)
			}
		}
		if v == "" {
			continue
		}
		s := source{env: name}
		if !f.secret {
			s.raw = quote(v)
		}
		src[f.key] = s
		bad := func(msg string) {
			problems = append(problems, &FieldError{Env: name, Key: f.key, Value: s.raw, Msg: msg})
		}
		t := strings.TrimSpace(v)
		example := name + "=" + envExample(f)
		switch p := f.ptr(cfg).(type) {
		case *string:
			*p = t
		case *int:
			i, err := strconv.Atoi(t)
			if err != nil {
				bad("not a whole number; e.g. " + example)
				continue
			}
			*p = i
		case *float64:
			x, err := strconv.ParseFloat(t, 64)
			if err != nil {
				bad("not a number; e.g. " + example)
				continue
			}
			*p = x
		case *time.Duration:
			d, err := time.ParseDuration(t)
			if err != nil {
				bad(durationHelp(example))
				continue
			}
			*p = d
		case *[]string:
			*p = splitList(v)
		case *bool:
			b, err := strconv.ParseBool(t)
			if err != nil {
				bad("not true or false; e.g. " + example)
				continue
			}
			*p = b
		}
	}
	return problems
}

// envExample is a field's example as it would be typed in a shell.
func envExample(f field) string {
	e := f.example
	if f.kind == kList {
		e = strings.Trim(e, "[]")
		parts := strings.Split(e, ",")
		for i := range parts {
			parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `"`)
		}
		return strings.Join(parts, ",")
	}
	return strings.Trim(e, `"`)
}

// splitList splits a comma-separated environment value, dropping blanks.
func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// syntaxError turns the TOML decoder's error into a message with an exact
// position and plain words.
func syntaxError(pe toml.ParseError, doc, path string) *FieldError {
	line, col := pe.Position.Line, pe.Position.Col
	if start := pe.Position.Start; start >= 0 && start <= len(doc) {
		// The decoder counts a bad newline as the start of the next line;
		// counting from the byte offset points at the line the user sees as
		// broken, with the column in characters rather than bytes.
		line = strings.Count(doc[:start], "\n") + 1
		lineStart := strings.LastIndexByte(doc[:start], '\n') + 1
		col = utf8.RuneCountInString(doc[lineStart:start]) + 1
	}
	text := lineText(doc, line)
	msg := plainParseMessage(pe)
	if strings.HasPrefix(pe.LastKey, "sync.database_url") || strings.Contains(text, "database_url") {
		// The decoder quotes pieces of the broken value, which here may be
		// part of a password.
		msg = `sync.database_url: the value is not valid TOML (not shown: it may contain a password); ` +
			`write it in double quotes, e.g. database_url = "postgres://user:password@host/db"`
	} else if mayHoldSecret(text) {
		msg = "this line is not valid TOML (its text is not shown: it may contain a password)"
	}
	return &FieldError{Path: path, Line: line, Column: col, Msg: msg}
}

func lineText(doc string, line int) string {
	lines := strings.SplitN(doc, "\n", line+1)
	if line-1 < len(lines) {
		return lines[line-1]
	}
	return ""
}

// secretHint and parseMessages are compiled on first use: the daemon keeps
// them only when a configuration error needs them.
var secretHint = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)password|passwd|secret|token|://[^\s]*@`)
})

func mayHoldSecret(s string) bool { return secretHint().MatchString(s) }

// parseMessages rewrite the decoder's commonest messages in plain words.
// Each entry: a pattern on the decoder's message, and the replacement
// (with $1 for the captured part). isValue marks messages about a value, which
// are prefixed with the key being set.
var parseMessages = sync.OnceValue(func() []parseMessage {
	return []parseMessage{
		{regexp.MustCompile(`^expected value but found "?(.*?)"? instead$`),
			`expected a value but found $1; put text in double quotes ("like this"), or write a number, true/false or a [list]`, true},
		{regexp.MustCompile(`^strings cannot contain newlines$`),
			`a string is missing its closing quote; "..." strings must end on the same line (use """...""" for several lines)`, true},
		{regexp.MustCompile(`^expected '\.' or '\]' to end table name, but got .* instead$`),
			`a section name must end with "]", e.g. [monitoring]`, false},
		{regexp.MustCompile(`^Key '(.*)' has already been defined\.$`),
			`"$1" is set twice; keep only one`, false},
		{regexp.MustCompile(`^expected a top-level item to end with a newline, comment, or EOF, but got .* instead$`),
			`unexpected text after the value; put each setting on a line of its own and start comments with #`, false},
		{regexp.MustCompile(`^expected '\.' or '=', but got .* instead$`),
			`expected "=" after the key; write settings as key = value`, false},
		{regexp.MustCompile(`^unexpected EOF; expected '(""")'$|^unexpected EOF; expected '(''')'$`),
			`a multi-line string is never closed`, true},
		{regexp.MustCompile(`^expected a comma \(','\) or array terminator \('\]'\), but got (.*)$`),
			`a list is not closed: expected "," or "]" but got $1`, true},
		{regexp.MustCompile(`^(.*) is out of range for u?int\d*$`),
			`the number $1 is out of range`, true},
		{regexp.MustCompile(`^unexpected EOF; expected value$`),
			`the file ends where a value was expected`, true},
	}
})

// parseMessage is a pattern on the decoder's message and its replacement.
type parseMessage struct {
	re      *regexp.Regexp
	msg     string
	isValue bool
}

// plainParseMessage words a TOML syntax error for people who do not read the
// TOML spec, naming the key when the problem is in a value.
func plainParseMessage(pe toml.ParseError) string {
	for _, m := range parseMessages() {
		if m.re.MatchString(pe.Message) {
			msg := m.re.ReplaceAllString(pe.Message, m.msg)
			if m.isValue && pe.LastKey != "" {
				msg = shorten(pe.LastKey) + ": " + msg
			}
			return msg
		}
	}
	msg := shorten(pe.Message)
	if pe.LastKey != "" {
		msg = shorten(pe.LastKey) + ": " + msg
	}
	return "invalid TOML: " + msg
}
