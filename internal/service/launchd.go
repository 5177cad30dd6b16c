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

// plistTemplate is the LaunchAgent. Values arrive XML-escaped.
//
// KeepAlive {SuccessfulExit false} restarts pb when it crashes but not when
// it exits cleanly (SIGTERM from "pb service stop" or logout), and
// ThrottleInterval spaces restarts so a crash loop does not spin.
var plistTemplate = template.Must(template.New("plist").Parse(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- PacketBuddy, written by "pb service install"; "pb service uninstall" removes it.
     No secret belongs here: the sync URL stays in the 0600 config file. -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{{.Label}}</string>
	<key>ProgramArguments</key>
	<array>
{{- range .Args}}
		<string>{{.}}</string>
{{- end}}
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ThrottleInterval</key>
	<integer>10</integer>
	<key>ProcessType</key>
	<string>Background</string>
	<key>Umask</key>
	<integer>63</integer>
	<key>StandardOutPath</key>
	<string>{{.Log}}</string>
	<key>StandardErrorPath</key>
	<string>{{.Log}}</string>
</dict>
</plist>
`))

type launchd struct{ o *Options }

func newLaunchd(o *Options) *launchd { return &launchd{o: o} }

func (l *launchd) describe() string { return "launchd agent " + LaunchdID }

func (l *launchd) plistPath() string {
	return joinPath("darwin", l.o.Home, "Library", "LaunchAgents", LaunchdID+".plist")
}

func (l *launchd) domain() string  { return "gui/" + strconv.Itoa(l.o.UID) }
func (l *launchd) service() string { return l.domain() + "/" + LaunchdID }

func (l *launchd) definition() (string, []byte, string, error) {
	if l.o.Home == "" {
		return "", nil, "", errors.New("no home directory to put the LaunchAgent in (set HOME)")
	}
	var args []string
	for _, a := range l.o.serveArgs() {
		e, err := xmlText(a)
		if err != nil {
			return "", nil, "", fmt.Errorf("plist: %w", err)
		}
		args = append(args, e)
	}
	logPath, err := xmlText(logFileFor("darwin", l.o.DataDir))
	if err != nil {
		return "", nil, "", fmt.Errorf("plist: %w", err)
	}
	var b bytes.Buffer
	if err := plistTemplate.Execute(&b, map[string]any{"Label": LaunchdID, "Args": args, "Log": logPath}); err != nil {
		return "", nil, "", fmt.Errorf("render plist: %w", err)
	}
	return l.plistPath(), b.Bytes(), "", nil
}

func (l *launchd) plan(a Action) (*Plan, error) {
	p := &Plan{}
	bootstrap := Step{Kind: StepRun, Argv: []string{"launchctl", "bootstrap", l.domain(), l.plistPath()}}
	bootout := Step{Kind: StepRun, Argv: []string{"launchctl", "bootout", l.service()}, IgnoreError: true}
	switch a {
	case Install:
		path, content, _, err := l.definition()
		if err != nil {
			return nil, err
		}
		p.Steps = append(p.Steps,
			Step{Kind: StepMkdir, Path: l.o.DataDir, Mode: 0o700},
			// launchd opens the log file but does not create its folder.
			Step{Kind: StepMkdir, Path: joinPath("darwin", l.o.DataDir, "logs"), Mode: 0o700},
			Step{Kind: StepWrite, Path: path, Content: content, Mode: 0o644},
			// Unload an earlier version first: bootstrap refuses a loaded job.
			bootout,
			// A job disabled by an earlier "launchctl disable" would not load.
			Step{Kind: StepRun, Argv: []string{"launchctl", "enable", l.service()}},
			bootstrap, // RunAtLoad starts it
		)
		p.Notes = append(p.Notes, "logs: "+logFileFor("darwin", l.o.DataDir))
	case Uninstall:
		p.Steps = append(p.Steps, bootout, Step{Kind: StepRemove, Path: l.plistPath()})
		if l.o.Purge {
			st, err := l.o.purgeStep()
			if err != nil {
				return nil, err
			}
			p.Steps = append(p.Steps, st)
		} else {
			p.Notes = append(p.Notes, "your data stays in "+l.o.DataDir+" (\"pb service uninstall --purge\" deletes it)")
		}
	case Start:
		// Load it if "stop" unloaded it (loading starts it), then make sure
		// it runs if it was loaded already.
		bootstrap.IgnoreError = true
		p.Steps = append(p.Steps, bootstrap, Step{Kind: StepRun, Argv: []string{"launchctl", "kickstart", l.service()}})
	case Stop:
		// Unloading is the only stop launchd keeps: a killed KeepAlive job
		// may be started again. The plist stays, so it loads at next login.
		p.Steps = append(p.Steps, bootout)
		p.Notes = append(p.Notes, "pb starts again at your next login; \"pb service uninstall\" stops that")
	case Restart:
		bootstrap.IgnoreError = true
		p.Steps = append(p.Steps, bootstrap, Step{Kind: StepRun, Argv: []string{"launchctl", "kickstart", "-k", l.service()}})
	default:
		return nil, fmt.Errorf("unknown action %q", a)
	}
	return p, nil
}

func (l *launchd) available(ctx context.Context) error {
	if _, err := l.o.Runner.Run(ctx, "launchctl", "print", l.domain()); err != nil {
		return fmt.Errorf("%w: launchd has no %s domain (%s); a LaunchAgent needs a graphical login of this user. Run \"pb serve\" under your own supervisor, or see the plist with --dry-run", ErrNoServiceManager, l.domain(), firstLine(err.Error()))
	}
	return nil
}

func (l *launchd) installed(context.Context) (bool, error) { return fileExists(l.plistPath()) }

func (l *launchd) status(ctx context.Context) (Status, error) {
	st := Status{Manager: l.describe(), Definition: l.plistPath(), Logs: logFileFor("darwin", l.o.DataDir)}
	var err error
	if st.Installed, err = fileExists(st.Definition); err != nil {
		return st, fmt.Errorf("service status: %w", err)
	}
	if err := l.available(ctx); err != nil {
		st.Problem = err.Error()
		return st, nil
	}
	out, err := l.o.Runner.Run(ctx, "launchctl", "print", l.service())
	st.Known = true
	if err != nil {
		// launchctl print fails (exit 113) for a job that is not loaded.
		st.State = "not loaded"
		return st, nil
	}
	parseLaunchctlPrint(out, &st)
	if st.PID > 0 && processStartTime != nil {
		if t, err := processStartTime(st.PID); err == nil {
			st.Since = t
		}
	}
	return st, nil
}

// parseLaunchctlPrint reads the top-level "state = running" and "pid = 123"
// lines of "launchctl print <service>" (nested blocks are indented deeper).
func parseLaunchctlPrint(out []byte, st *Status) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		// Top-level properties are indented by exactly one tab.
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "\t\t") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if !ok {
			continue
		}
		switch k {
		case "state":
			st.State = v
			st.Running = v == "running"
		case "pid":
			st.PID, _ = strconv.Atoi(v)
		}
	}
}

// processStartTime returns when a process started; set per OS where the
// OS can tell (nil elsewhere).
var processStartTime func(pid int) (time.Time, error)
