package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/units"
)

// Limits on settings, with the reason for each.
const (
	// Polling faster than 100ms costs CPU for no visible gain; slower than a
	// minute makes "live" speed meaningless and peaks unreliable.
	minPoll, maxPoll = 100 * time.Millisecond, time.Minute
	// Writes less often than hourly risk an hour of counting on a crash.
	maxBatch = time.Hour
	// The 1-minute tier: at least a day for the live charts, at most ten
	// years (it is about 1,440 rows a day per interface).
	minRetention, maxRetention = 1, 3650
	// maxMetricsTop bounds the app series of /metrics.
	maxMetricsTop = 50
	// Syncing more often than every 5s keeps a serverless database awake
	// for no benefit: buckets are minutes wide.
	minSync = 5 * time.Second
)

// Validate checks every setting and returns all problems at once (joined
// *FieldErrors), or nil. Load calls it; call it again after changing a
// Config by hand.
func (c Config) Validate() error {
	// Plans are checked apart from problems: Load checks them while
	// decoding, where it knows each plan's lines.
	problems := append(c.problems(), planProblems(c.RawPlans)...)
	if len(problems) == 0 {
		return nil
	}
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// problems lists what is wrong with c, one FieldError per setting, in the
// order of the settings table. Value is the current value as TOML, or "" for
// secrets and for lists (whose message names the bad item).
func (c Config) problems() []*FieldError {
	var out []*FieldError
	add := func(key, msg string) {
		f, _ := fieldByKey(key)
		p := &FieldError{Key: key, Msg: msg}
		if !f.secret && f.kind != kList {
			p.Value = render(f, &c)
		}
		out = append(out, p)
	}

	if _, err := c.Location(); err != nil {
		add("timezone", tzExamples)
	}

	if msg := checkHost(c.API.Host); msg != "" {
		add("api.host", msg)
	}
	if c.API.Port < 1 || c.API.Port > 65535 {
		add("api.port", "must be between 1 and 65535; the default is 7373")
	}
	for _, o := range c.API.AllowedOrigins {
		if msg := checkOrigin(o); msg != "" {
			add("api.allowed_origins", msg)
			break
		}
	}
	for _, h := range c.API.AllowedHosts {
		if msg := checkAllowedHost(h); msg != "" {
			add("api.allowed_hosts", msg)
			break
		}
	}

	if t := c.API.PairCodeTTL; t < 30*time.Second || t > time.Hour {
		add("api.pair_code_ttl", "must be between 30s and 1h; the default is 5m")
	}
	if (c.API.TLSCert == "") != (c.API.TLSKey == "") {
		k := "api.tls_key"
		if c.API.TLSCert == "" {
			k = "api.tls_cert"
		}
		add(k, "tls_cert and tls_key go together: set both (PEM files) for HTTPS, or neither")
	}

	m := c.Monitoring
	if m.PollInterval < minPoll || m.PollInterval > maxPoll {
		add("monitoring.poll_interval", fmt.Sprintf("must be between %s and %s", formatDuration(minPoll), formatDuration(maxPoll)))
	}
	if m.BatchWriteInterval < m.PollInterval || m.BatchWriteInterval > maxBatch {
		add("monitoring.batch_write_interval", fmt.Sprintf("must be at least monitoring.poll_interval (%s) and at most %s",
			formatDuration(m.PollInterval), formatDuration(maxBatch)))
	}
	for _, l := range []struct {
		key  string
		list []string
	}{{"monitoring.include", m.Include}, {"monitoring.exclude", m.Exclude}} {
		for _, g := range l.list {
			if msg := checkGlob(g); msg != "" {
				add(l.key, msg)
				break
			}
		}
	}

	if msg := checkProcPath(m.ProcPath); msg != "" {
		add("monitoring.proc_path", msg)
	}

	if d := c.Storage.FineRetentionDays; d < minRetention || d > maxRetention {
		add("storage.fine_retention_days", fmt.Sprintf("must be between %d and %d days", minRetention, maxRetention))
	}

	switch c.Apps.Method {
	case "auto", "ebpf", "sock_diag":
	default:
		add("apps.method", `must be "auto", "ebpf" or "sock_diag"`)
	}
	if n := c.Apps.MetricsTop; n < 0 || n > maxMetricsTop {
		add("apps.metrics_top", fmt.Sprintf("must be between 0 and %d", maxMetricsTop))
	}
	if d := c.Apps.RetentionDays; d < minRetention || d > maxRetention {
		add("apps.retention_days", fmt.Sprintf("must be between %d and %d days", minRetention, maxRetention))
	}

	if m := c.Storage.MaxStorageMB; m < 1 || m > 1_000_000 {
		add("storage.max_storage_mb", "must be between 1 and 1000000 (MB)")
	}

	if msg := checkDatabaseURL(c.Sync.DatabaseURL); msg != "" {
		add("sync.database_url", msg)
	}
	if c.Sync.Interval < minSync {
		add("sync.interval", fmt.Sprintf("must be at least %s", formatDuration(minSync)))
	}

	if r := c.Cost.RatePerGB; math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		add("cost.rate_per_gb", "must be a finite number of 0 or more (the price of one GB), e.g. 7.5")
	}
	if _, ok := lookupCurrency(c.Cost.Currency); !ok {
		add("cost.currency", currencyHelp(c.Cost.Currency))
	}

	if u := c.Alerts.WebhookURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			add("alerts.webhook_url", "must be an http:// or https:// URL, e.g. \"https://ntfy.sh/my-topic\"")
		}
	}
	switch c.Alerts.WebhookFormat {
	case "", "json", "ntfy", "slack":
	default:
		add("alerts.webhook_format", `must be "json", "ntfy" or "slack"`)
	}
	switch c.Display.Units {
	case "si", "iec":
	default:
		add("display.units", `must be "si" (1 KB = 1000 B) or "iec" (1 KiB = 1024 B)`+suggestValue(c.Display.Units, "si", "iec"))
	}
	return out
}

// lookupCurrency returns the canonical ISO 4217 code for code.
func lookupCurrency(code string) (string, bool) {
	cur, ok := units.LookupCurrency(code)
	return cur.Code, ok
}

// currencyHelp explains an unknown currency, recognising a symbol typed in
// place of the code.
func currencyHelp(code string) string {
	msg := "not an ISO 4217 currency code; examples: INR, USD, EUR, GBP, JPY"
	if t := strings.TrimSpace(code); t != "" {
		for _, cur := range units.Currencies() {
			if cur.Symbol == t && cur.Symbol != cur.Code {
				return msg + fmt.Sprintf(` (%q is the symbol; the code is %q)`, t, cur.Code)
			}
		}
	}
	return msg
}

// checkHost validates the listen address.
func checkHost(h string) string {
	switch {
	case h == "":
		return `must not be empty; use "127.0.0.1" to serve this computer only`
	case strings.Contains(h, "://"):
		return `write only the address, without a scheme, e.g. host = "127.0.0.1"`
	case strings.HasPrefix(h, "["):
		return `write an IPv6 address without brackets, e.g. host = "::1"`
	}
	if _, _, err := net.SplitHostPort(h); err == nil {
		return "put the port in api.port, not in the host"
	}
	if !validHost(h) {
		return `not an IP address or host name; e.g. "127.0.0.1", "::1" or "localhost"`
	}
	return ""
}

// validHost accepts an IP address (with an IPv6 zone) or a DNS name.
func validHost(h string) bool {
	if ip, _, _ := strings.Cut(h, "%"); net.ParseIP(ip) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// checkOrigin requires the exact form browsers send in the Origin header
// (scheme://host[:port], lower case, no path), since the API compares them
// as strings.
func checkOrigin(o string) string {
	if strings.Contains(o, "*") {
		return fmt.Sprintf(`%q: wildcards are not allowed, they would let any website read your usage; list each origin, e.g. "http://localhost:3000"`, o)
	}
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "HTTP" && u.Scheme != "HTTPS") || u.Host == "" || u.User != nil {
		return fmt.Sprintf(`origin %q is not of the form scheme://host[:port], e.g. "http://localhost:3000"`, o)
	}
	canon := strings.ToLower(u.Scheme + "://" + u.Host)
	if o != canon {
		return fmt.Sprintf(`origin %q: write it as the browser sends it, %q (lower case, no path or trailing slash)`, o, canon)
	}
	return ""
}

// checkAllowedHost validates an extra Host header name.
func checkAllowedHost(h string) string {
	switch {
	case strings.Contains(h, "*"):
		return fmt.Sprintf(`%q: wildcards are not allowed, they would undo the protection against DNS rebinding; list each name, e.g. "pb.home.arpa"`, h)
	case strings.Contains(h, "/"):
		return fmt.Sprintf(`%q: write only the host name, without a scheme or path, e.g. "pb.home.arpa"`, h)
	}
	name := h
	if host, _, err := net.SplitHostPort(h); err == nil {
		name = host
	}
	if !validHost(name) {
		return fmt.Sprintf(`%q is not a host name or IP address; e.g. "pb.home.arpa"`, h)
	}
	return ""
}

// checkGlob validates an interface-name pattern.
func checkGlob(g string) string {
	if strings.TrimSpace(g) == "" {
		return "has an empty pattern; remove it"
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Sprintf(`pattern %q is not a valid glob (unclosed "[" or a trailing "\"); use * ? and [a-z], e.g. "wlan*"`, g)
	}
	return ""
}

// checkDatabaseURL validates the sync database URL without ever quoting it.
func checkDatabaseURL(s string) string {
	const (
		example = `e.g. "postgres://user:password@host/db?sslmode=require"`
		hidden  = " (the value is not shown: it may contain a password)"
	)
	if s == "" {
		return ""
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://"):
		// url.Parse's error repeats the URL, so only whether it failed is used.
		u, err := url.Parse(s)
		if err != nil {
			return "is not a valid URL; percent-encode special characters in the password (@ as %40, / as %2F, # as %23), " + example + hidden
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return "has no host name; " + example + hidden
		}
		return ""
	case strings.Contains(s, "://"):
		return "must start with postgres:// or postgresql://; " + example + hidden
	case strings.Contains(s, "="):
		return "" // libpq key=value form: "host=db user=pb password=... dbname=pb"
	}
	return "must be a PostgreSQL URL; " + example + hidden
}

// checkProcPath checks that p, when set, is an absolute directory holding a
// net/dev file, so a wrong mount is reported at start rather than as a
// failed read on every poll.
func checkProcPath(p string) string {
	if p == "" {
		return ""
	}
	if !filepath.IsAbs(p) {
		return `must be an absolute path to a directory containing net/dev, e.g. "/host/proc/1"; leave it empty to read this system's interfaces`
	}
	fi, err := os.Stat(filepath.Join(p, "net", "dev"))
	if err != nil || !fi.Mode().IsRegular() {
		return `no net/dev file there; mount the host's /proc (e.g. -v /proc:/host/proc:ro) and point this at its process 1: "/host/proc/1"`
	}
	return ""
}
