package service

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// userUnitTemplate is the systemd user unit. Values arrive already quoted
// by systemdWord.
//
// The hardening is what works in a user manager. It has no privileges, so
// User=, CapabilityBoundingSet= and the Protect* options that drop
// capabilities (ProtectKernelModules=, ProtectKernelLogs=, ProtectClock=)
// cannot apply and are left out. The seccomp-based options work for any
// process with NoNewPrivileges=. The mount-namespace options
// (ProtectSystem=, ReadWritePaths=, PrivateTmp=, ProtectKernelTunables=,
// ProtectControlGroups=) need a user namespace: systemd 253 and later turn
// on PrivateUsers= for them in user units by itself, and older versions
// ignore them, so they are safe either way.
var userUnitTemplate = template.Must(template.New("user").Parse(`# PacketBuddy, written by "pb service install". "pb service install" rewrites
# this file and "pb service uninstall" removes it; keep local changes in a
# drop-in: systemctl --user edit packetbuddy.service
# No secret belongs here: the sync URL stays in the 0600 config file.
[Unit]
Description=PacketBuddy network usage monitor
Documentation=https://github.com/packetbuddy/pb

[Service]
Type=simple
ExecStart={{.Exec}}
Restart=on-failure
RestartSec=5s
# Output goes to the journal: journalctl --user -u packetbuddy.service
UMask=0077

# Hardening that a user manager can apply (see docs/install.md):
# no privilege gain, and only IP, Unix and netlink sockets (netlink lists
# the interfaces).
NoNewPrivileges=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
# A call outside the filter fails with EPERM instead of killing pb.
SystemCallErrorNumber=EPERM
# The whole file system is read-only except the data directory; these need
# a user namespace (systemd >= 253 sets PrivateUsers= for them).
ProtectSystem=strict
ReadWritePaths={{.DataDir}}
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes

[Install]
# default.target: the user manager has no multi-user.target.
WantedBy=default.target
`))

// The first lines of the system unit say who owns the file.
const (
	systemInstallHeader = `# PacketBuddy, written by "pb service install --system". "pb service install
# --system" rewrites this file and "pb service uninstall --system" removes it;
# keep local changes in a drop-in: systemctl edit packetbuddy.service`
	systemPackageHeader = `# PacketBuddy, installed by the pb package (deb or rpm), which replaces this
# file on upgrade and removes it with the package; keep local changes in a
# drop-in: systemctl edit packetbuddy.service`
)

// PackageUnit is the systemd system unit the deb and rpm packages install
// as /usr/lib/systemd/system/packetbuddy.service: the unit
// "pb service install --system" writes for binary, with the data in
// /var/lib/packetbuddy, and a header that names the package as its owner.
func PackageUnit(binary string) ([]byte, error) {
	m, err := New(Options{GOOS: "linux", Binary: binary, DataDir: SystemDataDir("linux", nil), System: true, packaged: true})
	if err != nil {
		return nil, err
	}
	_, unit, _, err := m.Definition()
	return unit, err
}

// systemUnitTemplate is the machine-wide unit (--system).
//
// It uses DynamicUser=: systemd allocates the "packetbuddy" user when the
// service starts, so there is no account to create or to delete at
// uninstall, and StateDirectory= gives that user /var/lib/packetbuddy
// (kept across restarts and re-chowned if the uid changes). The price is
// that only root can read the data directly; the CLI reads it as root or
// through the API.
var systemUnitTemplate = template.Must(template.New("system").Parse(`{{.Header}}
# No secret belongs here: the sync URL stays in the 0600 config file.
[Unit]
Description=PacketBuddy network usage monitor
Documentation=https://github.com/packetbuddy/pb
After=network.target

[Service]
Type=simple
ExecStart={{.Exec}}
Restart=on-failure
RestartSec=5s
# Output goes to the journal: journalctl -u packetbuddy.service

# A dynamic, unprivileged user; its data lives in /var/lib/packetbuddy.
DynamicUser=yes
User=packetbuddy
StateDirectory=packetbuddy
StateDirectoryMode=0700
UMask=0077

# Reading interface counters needs no capability at all.
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RemoveIPC=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`))

type systemd struct{ o *Options }

func newSystemd(o *Options) *systemd { return &systemd{o: o} }

func (s *systemd) describe() string {
	if s.o.System {
		return "systemd system unit " + UnitName
	}
	return "systemd user unit " + UnitName
}

// unitPath is where the unit goes.
func (s *systemd) unitPath() string {
	if s.o.System {
		dir := s.o.systemUnitDir
		if dir == "" {
			dir = "/etc/systemd/system"
		}
		return joinPath("linux", dir, UnitName)
	}
	if s.o.userUnitDir != "" {
		return joinPath("linux", s.o.userUnitDir, UnitName)
	}
	return joinPath("linux", s.configHome(), "systemd", "user", UnitName)
}

func (s *systemd) configHome() string {
	if s.o.ConfigHome != "" {
		return s.o.ConfigHome
	}
	return joinPath("linux", s.o.Home, ".config")
}

// systemctl prefixes args with systemctl and, for a user unit, --user.
func (s *systemd) systemctl(args ...string) []string {
	argv := []string{"systemctl"}
	if !s.o.System {
		argv = append(argv, "--user")
	}
	return append(argv, args...)
}

func (s *systemd) definition() (string, []byte, string, error) {
	if !s.o.System && s.o.Home == "" && s.o.ConfigHome == "" && s.o.userUnitDir == "" {
		return "", nil, "", errors.New("no home directory to put the user unit in (set HOME)")
	}
	var words []string
	for _, a := range s.o.serveArgs() {
		w, err := systemdWord(a, true)
		if err != nil {
			return "", nil, "", fmt.Errorf("ExecStart: %w", err)
		}
		words = append(words, w)
	}
	dataDir, err := systemdWord(s.o.DataDir, false)
	if err != nil {
		return "", nil, "", fmt.Errorf("ReadWritePaths: %w", err)
	}
	tmpl := userUnitTemplate
	header := systemInstallHeader
	if s.o.System {
		tmpl = systemUnitTemplate
		if s.o.packaged {
			header = systemPackageHeader
		}
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]string{"Exec": strings.Join(words, " "), "DataDir": dataDir, "Header": header}); err != nil {
		return "", nil, "", fmt.Errorf("render unit: %w", err)
	}
	return s.unitPath(), b.Bytes(), "", nil
}

func (s *systemd) plan(a Action) (*Plan, error) {
	p := &Plan{}
	unit := UnitName
	enableFlags := []string{}
	if s.o.runtimeEnable {
		enableFlags = append(enableFlags, "--runtime")
	}
	switch a {
	case Install:
		path, content, _, err := s.definition()
		if err != nil {
			return nil, err
		}
		if !s.o.System {
			// ReadWritePaths= fails the start if the directory is missing.
			p.Steps = append(p.Steps, Step{Kind: StepMkdir, Path: s.o.DataDir, Mode: 0o700})
		}
		p.Steps = append(p.Steps,
			Step{Kind: StepWrite, Path: path, Content: content, Mode: 0o644},
			Step{Kind: StepRun, Argv: s.systemctl("daemon-reload")},
			Step{Kind: StepRun, Argv: s.systemctl(append(append([]string{"enable"}, enableFlags...), unit)...)},
			// restart rather than "enable --now": a reinstall (a new binary
			// path or data directory) must replace a running instance.
			Step{Kind: StepRun, Argv: s.systemctl("restart", unit)},
		)
		if !s.o.System {
			p.Notes = append(p.Notes, s.lingerNote()...)
			p.Notes = append(p.Notes, "logs: journalctl --user -u "+unit)
		} else {
			p.Notes = append(p.Notes, "logs: journalctl -u "+unit+"; data: /var/lib/packetbuddy (readable by root)")
		}
	case Uninstall:
		p.Steps = append(p.Steps,
			Step{Kind: StepRun, Argv: s.systemctl(append(append([]string{"disable", "--now"}, enableFlags...), unit)...), IgnoreError: true},
			Step{Kind: StepRemove, Path: s.unitPath()},
			Step{Kind: StepRun, Argv: s.systemctl("daemon-reload")},
			Step{Kind: StepRun, Argv: s.systemctl("reset-failed", unit), IgnoreError: true},
		)
		if s.o.Purge {
			st, err := s.o.purgeStep()
			if err != nil {
				return nil, err
			}
			p.Steps = append(p.Steps, st)
		} else {
			p.Notes = append(p.Notes, "your data stays in "+s.o.DataDir+" (\"pb service uninstall --purge\" deletes it)")
		}
	case Start:
		p.Steps = append(p.Steps, Step{Kind: StepRun, Argv: s.systemctl("start", unit)})
	case Stop:
		p.Steps = append(p.Steps, Step{Kind: StepRun, Argv: s.systemctl("stop", unit)})
	case Restart:
		p.Steps = append(p.Steps, Step{Kind: StepRun, Argv: s.systemctl("restart", unit)})
	default:
		return nil, fmt.Errorf("unknown action %q", a)
	}
	return p, nil
}

// lingerNote advises loginctl enable-linger unless the user already
// lingers: without it the user manager, and pb with it, stops at logout
// and does not start at boot.
func (s *systemd) lingerNote() []string {
	dir := s.o.lingerDir
	if dir == "" {
		dir = "/var/lib/systemd/linger"
	}
	user := s.o.User
	if user != "" {
		if ok, _ := fileExists(joinPath("linux", dir, user)); ok {
			return nil
		}
	} else {
		user = "$USER"
	}
	return []string{"pb runs while you are logged in. To run it from boot and after logout (servers, machines without a login session): loginctl enable-linger " + user}
}

func (s *systemd) available(ctx context.Context) error {
	if _, err := s.o.Runner.Run(ctx, s.systemctl("show-environment")[0], s.systemctl("show-environment")[1:]...); err != nil {
		if s.o.System {
			return fmt.Errorf("%w: systemctl cannot reach systemd (%s); this machine was not booted with systemd. Run \"pb serve\" under your own supervisor, or see the unit with --dry-run", ErrNoServiceManager, firstLine(err.Error()))
		}
		return fmt.Errorf("%w: systemctl --user cannot reach a systemd user manager (%s). That happens in containers, over plain su/sudo and without a login session. Run \"pb serve\" under your own supervisor, use --system as root, or see the unit with --dry-run", ErrNoServiceManager, firstLine(err.Error()))
	}
	return nil
}

func (s *systemd) installed(context.Context) (bool, error) {
	return fileExists(s.unitPath())
}

func (s *systemd) status(ctx context.Context) (Status, error) {
	st := Status{Manager: s.describe(), Definition: s.unitPath(), Logs: "journalctl --user -u " + UnitName}
	if s.o.System {
		st.Logs = "journalctl -u " + UnitName
	}
	var err error
	if st.Installed, err = fileExists(st.Definition); err != nil {
		return st, fmt.Errorf("service status: %w", err)
	}
	if err := s.available(ctx); err != nil {
		st.Problem = err.Error()
		return st, nil
	}
	argv := s.systemctl("show", UnitName, "--property=LoadState,ActiveState,SubState,MainPID,ActiveEnterTimestamp,UnitFileState")
	out, err := s.o.Runner.Run(ctx, argv[0], argv[1:]...)
	if err != nil {
		st.Problem = err.Error()
		return st, nil
	}
	parseSystemctlShow(out, &st)
	return st, nil
}

// parseSystemctlShow reads "systemctl show" key=value output into st.
func parseSystemctlShow(out []byte, st *Status) {
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			props[k] = v
		}
	}
	st.Known = true
	if props["LoadState"] == "not-found" {
		st.State = "not loaded"
		return
	}
	st.State = props["ActiveState"]
	if sub := props["SubState"]; sub != "" && sub != st.State {
		st.State += " (" + sub + ")"
	}
	st.Running = props["ActiveState"] == "active" || props["ActiveState"] == "reloading"
	st.PID, _ = strconv.Atoi(props["MainPID"])
	st.Since = parseSystemdTime(props["ActiveEnterTimestamp"])
}

// parseSystemdTime parses systemd's "Tue 2026-11-25 20:52:01 UTC" (or the
// "@unix" form of --timestamp=unix). Zone abbreviations other than UTC are
// read in the local zone, where systemctl printed them.
func parseSystemdTime(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" || v == "n/a" {
		return time.Time{}
	}
	if strings.HasPrefix(v, "@") {
		if sec, err := strconv.ParseInt(v[1:], 10, 64); err == nil {
			return time.Unix(sec, 0)
		}
		return time.Time{}
	}
	const layout = "Mon 2006-01-02 15:04:05 MST"
	if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
		return t
	}
	// Without a zone name at all.
	if t, err := time.ParseInLocation("Mon 2006-01-02 15:04:05", v, time.Local); err == nil {
		return t
	}
	return time.Time{}
}
