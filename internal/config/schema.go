package config

import (
	"strconv"
	"strings"
	"time"
)

// kind is the TOML shape a setting takes.
type kind int

const (
	kString   kind = iota // "text"
	kInt                  // 7373
	kFloat                // 7.5 (an integer is accepted too)
	kDuration             // "30s", a string in time.ParseDuration syntax
	kList                 // ["a", "b"]
	kBool                 // true or false
)

// describe names the kind the way a user would, for "wrong type" errors.
func (k kind) describe() string {
	switch k {
	case kString:
		return "a string in double quotes"
	case kInt:
		return "a whole number"
	case kFloat:
		return "a number"
	case kDuration:
		return `a duration in double quotes with a unit ("500ms", "30s", "5m", "1h")`
	case kList:
		return "a list of strings"
	case kBool:
		return "true or false (without quotes)"
	}
	return "a value"
}

// field is one setting. The table below is the only list of settings: decoding,
// environment overrides, unknown-key suggestions, the template and "pb config
// show" all walk it.
type field struct {
	key     string // dotted TOML key: "monitoring.poll_interval"
	env     string // environment variable that overrides it
	kind    kind
	secret  bool     // never shown in errors; masked in output
	example string   // a valid right-hand side, shown in type errors
	doc     []string // template comment: what it does and why you would change it
	ptr     func(*Config) any
}

// table is a [section] of the file with its template comment.
type table struct {
	name string
	doc  []string
}

var tables = []table{
	{"api", []string{"The local web API and dashboard."}},
	{"monitoring", []string{"How interface counters are sampled and saved."}},
	{"storage", []string{"How long detail is kept."}},
	{"apps", []string{"Per-application usage (Linux, eBPF; off by default)."}},
	{"sync", []string{"Optional fleet sync: many devices into one PostgreSQL database (Neon free tier or any)."}},
	{"cost", []string{"The cost estimate shown next to usage."}},
	{"alerts", []string{"Where data-plan alerts go besides the log and the alert history (pb plan, /api/plans)."}},
	{"display", []string{"How figures are shown: the CLI, the dashboard, the API's human_readable strings, reports."}},
}

var fields = []field{
	{
		key: "timezone", env: "PB_TIMEZONE", kind: kString, example: `"Asia/Kolkata"`,
		doc: []string{
			`IANA time zone that days, months and billing cycles are counted in,`,
			`e.g. "Asia/Kolkata". "" uses the operating system's zone.`,
		},
		ptr: func(c *Config) any { return &c.Timezone },
	},
	{
		key: "api.host", env: "PB_API_HOST", kind: kString, example: `"127.0.0.1"`,
		doc: []string{
			`Address the API and dashboard listen on. Keep it on loopback: any other`,
			`address shares your usage with the network and requires a bearer token.`,
		},
		ptr: func(c *Config) any { return &c.API.Host },
	},
	{
		key: "api.port", env: "PB_API_PORT", kind: kInt, example: `7373`,
		doc: []string{
			`TCP port of the API and dashboard (1-65535); existing clients expect 7373.`,
		},
		ptr: func(c *Config) any { return &c.API.Port },
	},
	{
		key: "api.allowed_origins", env: "PB_API_ALLOWED_ORIGINS", kind: kList, example: `["http://localhost:3000"]`,
		doc: []string{
			`Web origins allowed to call the API from a browser (CORS), e.g.`,
			`["http://localhost:3000"]. Empty: only the built-in dashboard. No wildcard:`,
			`it would let any website read your traffic history.`,
		},
		ptr: func(c *Config) any { return &c.API.AllowedOrigins },
	},
	{
		key: "api.allowed_hosts", env: "PB_API_ALLOWED_HOSTS", kind: kList, example: `["pb.home.arpa"]`,
		doc: []string{
			`Host names the API answers to besides localhost and loopback addresses,`,
			`e.g. ["pb.home.arpa"]. Other names are refused to stop DNS-rebinding attacks.`,
		},
		ptr: func(c *Config) any { return &c.API.AllowedHosts },
	},
	{
		key: "api.require_token", env: "PB_API_REQUIRE_TOKEN", kind: kBool, example: `true`,
		doc: []string{
			`true demands the bearer token or a paired session (pb pair) from this`,
			`machine too. Set it when a reverse proxy or "tailscale serve" on this`,
			`machine forwards other devices' requests: they all come from loopback.`,
		},
		ptr: func(c *Config) any { return &c.API.RequireToken },
	},
	{
		key: "api.pair_code_ttl", env: "PB_API_PAIR_CODE_TTL", kind: kDuration, example: `"5m"`,
		doc: []string{
			`How long a pairing code from "pb pair" can be used (30s-1h).`,
		},
		ptr: func(c *Config) any { return &c.API.PairCodeTTL },
	},
	{
		key: "api.tls_cert", env: "PB_API_TLS_CERT", kind: kString, example: `"/etc/pb/cert.pem"`,
		doc: []string{
			`PEM certificate (with its chain) for HTTPS; set with tls_key. Empty: HTTP.`,
		},
		ptr: func(c *Config) any { return &c.API.TLSCert },
	},
	{
		key: "api.tls_key", env: "PB_API_TLS_KEY", kind: kString, example: `"/etc/pb/key.pem"`,
		doc: []string{
			`PEM private key of tls_cert.`,
		},
		ptr: func(c *Config) any { return &c.API.TLSKey },
	},
	{
		key: "monitoring.poll_interval", env: "PB_POLL_INTERVAL", kind: kDuration, example: `"1s"`,
		doc: []string{
			`How often interface counters are read: the resolution of live speed and`,
			`peaks. 100ms to 1m; shorter costs more CPU.`,
		},
		ptr: func(c *Config) any { return &c.Monitoring.PollInterval },
	},
	{
		key: "monitoring.batch_write_interval", env: "PB_BATCH_WRITE_INTERVAL", kind: kDuration, example: `"30s"`,
		doc: []string{
			`How often counted bytes are written to disk, in one transaction. Longer`,
			`means fewer disk writes; at most this much is lost on a power cut.`,
			`poll_interval to 1h.`,
		},
		ptr: func(c *Config) any { return &c.Monitoring.BatchWriteInterval },
	},
	{
		key: "monitoring.include", env: "PB_MONITORING_INCLUDE", kind: kList, example: `["tun0", "wwan*"]`,
		doc: []string{
			`Interface names (globs: * ? [a-z]) counted in the total even though the`,
			`built-in rules leave them out (loopback, containers, VMs, tunnels), e.g. ["tun0"].`,
		},
		ptr: func(c *Config) any { return &c.Monitoring.Include },
	},
	{
		key: "monitoring.exclude", env: "PB_MONITORING_EXCLUDE", kind: kList, example: `["usb*"]`,
		doc: []string{
			`Interface names (globs) never counted in the total, e.g. ["usb*"]; exclude`,
			`wins over include. Excluded interfaces are still recorded, so changing`,
			`either list re-totals your history.`,
		},
		ptr: func(c *Config) any { return &c.Monitoring.Exclude },
	},
	{
		key: "monitoring.proc_path", env: "PB_PROC_PATH", kind: kString, example: `"/host/proc/1"`,
		doc: []string{
			`Linux only. Read counters from <proc_path>/net/dev instead of the usual`,
			`source, e.g. "/host/proc/1" when a container has the host's /proc mounted`,
			`at /host/proc (not /host/proc/self: that is the container's own network).`,
			`Empty (the default) reads this system's interfaces as usual.`,
		},
		ptr: func(c *Config) any { return &c.Monitoring.ProcPath },
	},
	{
		key: "storage.fine_retention_days", env: "PB_FINE_RETENTION_DAYS", kind: kInt, example: `7`,
		doc: []string{
			`Days of 1-minute detail kept for the live charts (1-3650). The 15-minute`,
			`history is kept for ever, so totals never shrink.`,
		},
		ptr: func(c *Config) any { return &c.Storage.FineRetentionDays },
	},
	{
		key: "storage.max_storage_mb", env: "PB_MAX_STORAGE_MB", kind: kInt, example: `400`,
		doc: []string{
			`Database size in MB above which /api/health and "pb storage" warn`,
			`(1-1000000). Nothing is deleted when it is reached.`,
		},
		ptr: func(c *Config) any { return &c.Storage.MaxStorageMB },
	},
	{
		key: "apps.enabled", env: "PB_APPS_ENABLED", kind: kBool, example: `true`,
		doc: []string{
			`Linux only. true counts traffic per application (which program used`,
			`how much) with eBPF; pb serve needs root or CAP_BPF and CAP_NET_ADMIN.`,
			`Off by default; when the kernel refuses, pb says why once and runs on.`,
		},
		ptr: func(c *Config) any { return &c.Apps.Enabled },
	},
	{
		key: "apps.method", env: "PB_APPS_METHOD", kind: kString, example: `"auto"`,
		doc: []string{
			`How per-app traffic is counted: "ebpf" (exact, every protocol), "sock_diag"`,
			`(TCP only, from the kernel's socket diagnostics; needs no eBPF rights, but`,
			`root to see other users' programs) or "auto": eBPF, else sock_diag.`,
		},
		ptr: func(c *Config) any { return &c.Apps.Method },
	},
	{
		key: "apps.retention_days", env: "PB_APPS_RETENTION_DAYS", kind: kInt, example: `90`,
		doc: []string{
			`Days of per-application traffic kept (1-3650); interface totals are`,
			`kept for ever regardless.`,
		},
		ptr: func(c *Config) any { return &c.Apps.RetentionDays },
	},
	{
		key: "apps.metrics_top", env: "PB_APPS_METRICS_TOP", kind: kInt, example: `10`,
		doc: []string{
			`How many of today's largest applications /metrics shows, each as its own`,
			`series (0-50; the rest are one "other" series): bounds the label values`,
			`Prometheus stores. 0 shows none.`,
		},
		ptr: func(c *Config) any { return &c.Apps.MetricsTop },
	},
	{
		key: "sync.database_url", env: "PB_DATABASE_URL", kind: kString, secret: true,
		example: `"postgres://user:password@host/db?sslmode=require"`,
		doc: []string{
			`PostgreSQL URL, e.g. "postgres://user:password@host/db?sslmode=require";`,
			`"" turns sync off. Prefer the PB_DATABASE_URL environment variable: it keeps`,
			`the password out of this file.`,
		},
		ptr: func(c *Config) any { return &c.Sync.DatabaseURL },
	},
	{
		key: "sync.enabled", env: "PB_SYNC_ENABLED", kind: kBool, example: `false`,
		doc: []string{
			`false keeps sync off even when database_url, PB_DATABASE_URL or`,
			`NEON_DB_URL is set (PacketBuddy 1.x's "enabled = false"); true syncs`,
			`whenever a database URL is set.`,
		},
		ptr: func(c *Config) any { return &c.Sync.On },
	},
	{
		key: "sync.interval", env: "PB_SYNC_INTERVAL", kind: kDuration, example: `"60s"`,
		doc: []string{
			`How often changes are sent (5s or more). Longer lets a serverless`,
			`database sleep between syncs.`,
		},
		ptr: func(c *Config) any { return &c.Sync.Interval },
	},
	{
		key: "cost.rate_per_gb", env: "PB_COST_RATE_PER_GB", kind: kFloat, example: `7.5`,
		doc: []string{
			`Price of one GB (1,000,000,000 bytes, the unit shown everywhere) in the`,
			`currency below; 0 or more.`,
		},
		ptr: func(c *Config) any { return &c.Cost.RatePerGB },
	},
	{
		key: "cost.currency", env: "PB_COST_CURRENCY", kind: kString, example: `"INR"`,
		doc: []string{
			`ISO 4217 code of rate_per_gb's currency, e.g. "INR", "USD", "EUR", "JPY".`,
		},
		ptr: func(c *Config) any { return &c.Cost.Currency },
	},
	{
		key: "alerts.webhook_url", env: "PB_ALERTS_WEBHOOK_URL", kind: kString, secret: true,
		example: `"https://ntfy.sh/my-topic"`,
		doc: []string{
			`URL that each data-plan alert is POSTed to; "" for none. Webhook URLs often`,
			`hold a token, so it is never printed. Delivery is retried with backoff.`,
		},
		ptr: func(c *Config) any { return &c.Alerts.WebhookURL },
	},
	{
		key: "alerts.webhook_format", env: "PB_ALERTS_WEBHOOK_FORMAT", kind: kString, example: `"ntfy"`,
		doc: []string{
			`"json" (PacketBuddy's alert object), "ntfy" (a plain-text message with a`,
			`title, for ntfy.sh topics) or "slack" ({"text": ...}: Slack, Mattermost,`,
			`Discord's /slack endpoint).`,
		},
		ptr: func(c *Config) any { return &c.Alerts.WebhookFormat },
	},
	{
		key: "alerts.webhook_token", env: "PB_ALERTS_WEBHOOK_TOKEN", kind: kString, secret: true,
		example: `"tk_..."`,
		doc: []string{
			`Sent as "Authorization: Bearer <token>" with each webhook, e.g. for a`,
			`private ntfy topic; "" for none. Never printed.`,
		},
		ptr: func(c *Config) any { return &c.Alerts.WebhookToken },
	},
	{
		key: "alerts.desktop", env: "PB_ALERTS_DESKTOP", kind: kBool, example: `true`,
		doc: []string{
			`Show each alert as a desktop notification (notify-send on Linux, the`,
			`notification centre on macOS, a toast on Windows); best effort.`,
		},
		ptr: func(c *Config) any { return &c.Alerts.Desktop },
	},
	{
		key: "alerts.unusual", env: "PB_ALERTS_UNUSUAL", kind: kBool, example: `true`,
		doc: []string{
			`Also alert (webhook, desktop) when an hour or a day is far above its`,
			`usual for that weekday and hour; it is always in the event log.`,
		},
		ptr: func(c *Config) any { return &c.Alerts.Unusual },
	},
	{
		key: "display.units", env: "PB_DISPLAY_UNITS", kind: kString, example: `"iec"`,
		doc: []string{
			`Byte units: "si" (1 KB = 1000 bytes, as PacketBuddy 1.x and network`,
			`operators count) or "iec" (1 KiB = 1024 bytes, as most file managers).`,
			`Also the GB that cost.rate_per_gb and gb_used are counted in. The CLI's`,
			`--units flag overrides it for one command.`,
		},
		ptr: func(c *Config) any { return &c.Display.Units },
	},
}

// EnvSetting is a setting with its environment variable, for documentation.
type EnvSetting struct{ Key, Env string }

// EnvSettings lists every setting that an environment variable overrides,
// in the order of the settings table.
func EnvSettings() []EnvSetting {
	var out []EnvSetting
	for _, f := range fields {
		if f.env != "" {
			out = append(out, EnvSetting{Key: f.key, Env: f.env})
		}
	}
	return out
}

// legacyEnv are older names still read when the new variable is unset; v1
// documented NEON_DB_URL for the sync database.
var legacyEnv = map[string]string{"PB_DATABASE_URL": "NEON_DB_URL"}

// fieldByKey finds a setting by its dotted key.
func fieldByKey(key string) (field, bool) {
	for _, f := range fields {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// isTable reports whether name is one of the file's sections.
func isTable(name string) bool {
	for _, t := range tables {
		if t.name == name {
			return true
		}
	}
	return false
}

// leaf returns the last part of a dotted key: "poll_interval".
func leaf(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// section returns everything before the last dot: "monitoring", or "" for a
// top-level key.
func section(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// render writes a field's current value as TOML.
func render(f field, c *Config) string {
	switch p := f.ptr(c).(type) {
	case *string:
		return quote(*p)
	case *int:
		return itoa(*p)
	case *float64:
		return formatFloat(*p)
	case *time.Duration:
		return quote(formatDuration(*p))
	case *[]string:
		return quoteList(*p)
	case *bool:
		return strconv.FormatBool(*p)
	}
	panic("config: field " + f.key + " has an unsupported type")
}
