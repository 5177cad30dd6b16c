package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"runtime"
	"strings"
	"unicode/utf16"

	"github.com/packetbuddy/pb/internal/plan"
)

// Runner runs a program and waits for it. ExecRunner is the real one; tests
// pass a fake, so no test pops up a notification.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) error
}

// ErrNoDesktop is returned for a system without a known notification command.
var ErrNoDesktop = errors.New("desktop notifications are not supported on this system")

// Desktop shows alerts as desktop notifications: notify-send on Linux and
// the BSDs, osascript on macOS, a toast through PowerShell on Windows. It is
// best effort: a headless server has no notification daemon, so callers
// should log a failure and move on (Notifier does). Give it a Notifier of
// its own with Attempts: 1 — retrying a missing notify-send only delays the
// webhooks queued behind it.
type Desktop struct {
	Runner Runner
	OS     string // runtime.GOOS value choosing the command; "" is the running system
}

// NewDesktop returns a Desktop for the running system that runs real
// commands.
func NewDesktop() *Desktop { return &Desktop{Runner: ExecRunner{}, OS: runtime.GOOS} }

// Deliver shows one notification.
func (d *Desktop) Deliver(ctx context.Context, a plan.Alert) error {
	name, args, err := desktopCommand(d.OS, a)
	if err != nil {
		return permanentError{err}
	}
	return d.Runner.Run(ctx, name, args...)
}

// desktopCommand builds the command line. Title and message are user data
// (plan names), so they are never spliced into a shell: they go as separate
// arguments, as AppleScript run arguments, or as PowerShell single-quoted
// literals inside a Base64 -EncodedCommand.
func desktopCommand(goos string, a plan.Alert) (string, []string, error) {
	if goos == "" {
		goos = runtime.GOOS
	}
	title := a.Title
	if title == "" {
		title = "PacketBuddy"
	}
	urgent := a.Kind == plan.AlertThreshold && a.Threshold >= 100
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "illumos", "solaris":
		urgency := "normal"
		if urgent {
			urgency = "critical"
		}
		// "--" ends the options, so a title starting with "-" is shown, not parsed.
		return "notify-send", []string{"--app-name=PacketBuddy", "--urgency=" + urgency, "--", title, a.Message}, nil
	case "darwin":
		return "osascript", []string{
			"-e", "on run argv",
			"-e", `display notification (item 2 of argv) with title "PacketBuddy" subtitle (item 1 of argv)`,
			"-e", "end run",
			title, a.Message,
		}, nil
	case "windows":
		script := `[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null
$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$x = $t.GetElementsByTagName('text')
$x.Item(0).AppendChild($t.CreateTextNode(` + psQuote(title) + `)) > $null
$x.Item(1).AppendChild($t.CreateTextNode(` + psQuote(a.Message) + `)) > $null
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('PacketBuddy').Show([Windows.UI.Notifications.ToastNotification]::new($t))
`
		return "powershell.exe", []string{"-NoProfile", "-NonInteractive", "-WindowStyle", "Hidden", "-EncodedCommand", psEncode(script)}, nil
	}
	return "", nil, ErrNoDesktop
}

// psQuote makes a PowerShell single-quoted literal. PowerShell treats the
// typographic single quotes as quote characters too, so each is doubled
// like the ASCII one.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '‘', '’', '‚', '‛':
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// psEncode is the Base64 of the UTF-16LE script, what -EncodedCommand
// takes; it sidesteps Windows command-line quoting altogether.
func psEncode(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}
