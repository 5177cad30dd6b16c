package usage

import "time"

// App identifies an application: its executable and command name, and the
// systemd service, flatpak or snap it runs in, where there is one. A
// process that exited before the daemon could look at it has only the
// command name the kernel recorded.
type App struct {
	Path    string `json:"path"`    // executable, "" when unknown
	Name    string `json:"name"`    // command name
	Unit    string `json:"unit"`    // systemd service, e.g. "nginx.service"
	Package string `json:"package"` // "flatpak:<app id>" or "snap:<name>"
}

// Unattributed is the application of an interface's traffic that no
// process is known for, so that the apps of an interface always add up to
// its total.
var Unattributed = App{Name: "unattributed"}

// AppDelta is an application's traffic on one interface in one bucket.
type AppDelta struct {
	App    App
	Iface  string
	MAC    string
	Bucket time.Time
	Totals
}

// AppTotals is one application's traffic in a range.
type AppTotals struct {
	App App
	Totals
}
