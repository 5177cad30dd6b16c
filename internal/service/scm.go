package service

import (
	"context"
	"fmt"
	"time"
)

// scmConfig is the Windows service that --system creates.
type scmConfig struct {
	Name        string
	DisplayName string
	Description string
	Binary      string
	Args        []string // after the binary
	// Account runs the service. LocalService has no administrator rights
	// and no network credentials, which is all pb needs.
	Account string
}

// scmAPI is the Windows service control manager; scm_windows.go talks to
// the real one, and elsewhere every call fails with ErrNotSupported.
type scmAPI interface {
	install(c scmConfig) error // create, or update an existing service
	remove(name string) error  // stop and delete
	start(name string) error
	stop(name string) error
	query(name string) (installed bool, state string, pid int, since time.Time, err error)
}

// localServiceSID is NT AUTHORITY\LocalService, named by SID so icacls
// understands it in every language.
const localServiceSID = "*S-1-5-19"

type windowsService struct{ o *Options }

func newWindowsService(o *Options) *windowsService { return &windowsService{o: o} }

func (w *windowsService) api() scmAPI {
	if w.o.scm != nil {
		return w.o.scm
	}
	return hostSCM{}
}

func (w *windowsService) describe() string { return "Windows service " + WindowsSvc }

func (w *windowsService) config() scmConfig {
	args := w.o.serveArgs()
	return scmConfig{
		Name:        WindowsSvc,
		DisplayName: "PacketBuddy",
		Description: "PacketBuddy network usage monitor (pb serve)",
		Binary:      args[0],
		Args:        args[1:],
		Account:     `NT AUTHORITY\LocalService`,
	}
}

// definition renders the service as the sc.exe command that would create
// the same thing, which is what a dry run can show for an API call.
func (w *windowsService) definition() (string, []byte, string, error) {
	c := w.config()
	text := fmt.Sprintf("service %s\n  display name: %s\n  description:  %s\n  command line: %s\n  start:        automatic (delayed)\n  account:      %s\n  on failure:   restart after 5 s, 10 s, 60 s\n",
		c.Name, c.DisplayName, c.Description, windowsCommandLine(append([]string{c.Binary}, c.Args...)), c.Account)
	return "", []byte(text), text, nil
}

func (w *windowsService) plan(a Action) (*Plan, error) {
	p := &Plan{}
	c := w.config()
	api := w.api()
	start := Step{Kind: StepCall, Describe: "start the Windows service " + c.Name, Call: func(context.Context) error { return api.start(c.Name) }}
	stop := Step{Kind: StepCall, Describe: "stop the Windows service " + c.Name, Call: func(context.Context) error { return api.stop(c.Name) }}
	switch a {
	case Install:
		_, _, text, _ := w.definition()
		p.Steps = append(p.Steps,
			Step{Kind: StepMkdir, Path: w.o.DataDir, Mode: 0o700},
			// LocalService must be able to write its data directory; grant
			// modify rights that the files created inside inherit.
			Step{Kind: StepRun, Argv: []string{"icacls", w.o.DataDir, "/grant", localServiceSID + ":(OI)(CI)M"}},
			Step{Kind: StepCall, Describe: "create or update the Windows service:\n" + text, Call: func(context.Context) error { return api.install(c) }},
			stop.ignoring(),
			start,
		)
		p.Notes = append(p.Notes, "logs: "+logFileFor("windows", w.o.DataDir))
	case Uninstall:
		p.Steps = append(p.Steps, Step{Kind: StepCall, Describe: "stop and delete the Windows service " + c.Name, Call: func(context.Context) error { return api.remove(c.Name) }})
		if w.o.Purge {
			st, err := w.o.purgeStep()
			if err != nil {
				return nil, err
			}
			p.Steps = append(p.Steps, st)
		} else {
			p.Notes = append(p.Notes, "your data stays in "+w.o.DataDir+" (\"pb service uninstall --system --purge\" deletes it)")
		}
	case Start:
		p.Steps = append(p.Steps, start)
	case Stop:
		p.Steps = append(p.Steps, stop)
	case Restart:
		p.Steps = append(p.Steps, stop.ignoring(), start)
	default:
		return nil, fmt.Errorf("unknown action %q", a)
	}
	return p, nil
}

func (s Step) ignoring() Step { s.IgnoreError = true; return s }

func (w *windowsService) available(context.Context) error {
	if _, _, _, _, err := w.api().query(WindowsSvc); err != nil {
		return fmt.Errorf("%w: cannot use the Windows service manager (%s); --system needs an elevated (administrator) shell", ErrNoServiceManager, err)
	}
	return nil
}

func (w *windowsService) installed(context.Context) (bool, error) {
	ok, _, _, _, err := w.api().query(WindowsSvc)
	return ok, err
}

func (w *windowsService) status(context.Context) (Status, error) {
	st := Status{Manager: w.describe(), Definition: `HKLM\SYSTEM\CurrentControlSet\Services\` + WindowsSvc, Logs: logFileFor("windows", w.o.DataDir)}
	ok, state, pid, since, err := w.api().query(WindowsSvc)
	if err != nil {
		st.Problem = err.Error()
		return st, nil
	}
	st.Known, st.Installed, st.State, st.PID, st.Since = true, ok, state, pid, since
	st.Running = state == "running"
	return st, nil
}
