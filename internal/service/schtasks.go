package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"text/template"
)

// taskTemplate is the per-user Windows logon task. Values arrive
// XML-escaped.
//
// Why a Task Scheduler task and not the HKCU ...\Run key: both need no
// administrator rights, but a task can be started, stopped and queried
// ("pb service start|stop|status"), survives pb exiting without a shell
// to restart it, and runs with no execution time limit. A logon trigger
// limited to the user's own account (UserId) is what lets a standard user
// register it; an all-users logon trigger would need elevation.
//
// Task Scheduler restarts a task that fails to start (RestartOnFailure)
// but does not watch the exit code, so a crash is only recovered at the
// next logon or "pb service start"; --system (a Windows service) restarts
// on crash.
var taskTemplate = template.Must(template.New("task").Parse(`<?xml version="1.0" encoding="UTF-16"?>
<!-- PacketBuddy, written by "pb service install"; "pb service uninstall" removes it.
     No secret belongs here: the sync URL stays in the config file. -->
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>PacketBuddy network usage monitor (pb serve)</Description>
    <URI>\{{.Name}}</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
      <UserId>{{.User}}</UserId>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>{{.User}}</UserId>
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>7</Priority>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>10</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{{.Command}}</Command>
      <Arguments>{{.Arguments}}</Arguments>
      <WorkingDirectory>{{.WorkDir}}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`))

type schtasks struct{ o *Options }

func newSchtasks(o *Options) *schtasks { return &schtasks{o: o} }

func (s *schtasks) describe() string { return "Task Scheduler logon task " + TaskName }

// taskFile keeps the registered XML next to the data, as a record of what
// was installed (schtasks itself reads it once, at /Create).
func (s *schtasks) taskFile() string {
	return joinPath("windows", s.o.DataDir, "packetbuddy-task.xml")
}

func (s *schtasks) definition() (string, []byte, string, error) {
	if s.o.User == "" {
		return "", nil, "", errors.New("no user name for the logon task (USERDOMAIN\\USERNAME)")
	}
	args := s.o.serveArgs()
	vals := map[string]string{
		"Name":      TaskName,
		"User":      s.o.User,
		"Command":   args[0],
		"Arguments": windowsCommandLine(args[1:]),
		"WorkDir":   s.o.DataDir,
	}
	for k, v := range vals {
		e, err := xmlText(v)
		if err != nil {
			return "", nil, "", fmt.Errorf("task XML: %w", err)
		}
		vals[k] = e
	}
	var b bytes.Buffer
	if err := taskTemplate.Execute(&b, vals); err != nil {
		return "", nil, "", fmt.Errorf("render task: %w", err)
	}
	text := strings.ReplaceAll(b.String(), "\n", "\r\n")
	return s.taskFile(), utf16LE(text), b.String(), nil
}

func (s *schtasks) plan(a Action) (*Plan, error) {
	p := &Plan{}
	end := Step{Kind: StepRun, Argv: []string{"schtasks", "/End", "/TN", TaskName}, IgnoreError: true}
	run := Step{Kind: StepRun, Argv: []string{"schtasks", "/Run", "/TN", TaskName}}
	switch a {
	case Install:
		path, content, text, err := s.definition()
		if err != nil {
			return nil, err
		}
		p.Steps = append(p.Steps,
			Step{Kind: StepMkdir, Path: s.o.DataDir, Mode: 0o700},
			Step{Kind: StepWrite, Path: path, Content: content, Text: text, Mode: 0o600},
			Step{Kind: StepRun, Argv: []string{"schtasks", "/Create", "/TN", TaskName, "/XML", path, "/F"}},
			end, // a reinstall replaces a running instance
			run,
		)
		p.Notes = append(p.Notes, "logs: "+logFileFor("windows", s.o.DataDir))
	case Uninstall:
		p.Steps = append(p.Steps,
			end,
			Step{Kind: StepRun, Argv: []string{"schtasks", "/Delete", "/TN", TaskName, "/F"}},
			Step{Kind: StepRemove, Path: s.taskFile()},
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
		p.Steps = append(p.Steps, run)
	case Stop:
		end.IgnoreError = false
		p.Steps = append(p.Steps, end)
	case Restart:
		p.Steps = append(p.Steps, end, run)
	default:
		return nil, fmt.Errorf("unknown action %q", a)
	}
	return p, nil
}

// available: Task Scheduler is part of every supported Windows.
func (s *schtasks) available(context.Context) error { return nil }

func (s *schtasks) installed(ctx context.Context) (bool, error) {
	_, err := s.o.Runner.Run(ctx, "schtasks", "/Query", "/TN", TaskName)
	return err == nil, nil
}

func (s *schtasks) status(ctx context.Context) (Status, error) {
	st := Status{Manager: s.describe(), Definition: s.taskFile(), Logs: logFileFor("windows", s.o.DataDir)}
	out, err := s.o.Runner.Run(ctx, "schtasks", "/Query", "/TN", TaskName, "/V", "/FO", "CSV", "/NH")
	st.Known = true
	if err != nil {
		st.State = "not registered"
		return st, nil
	}
	st.Installed = true
	parseSchtasksCSV(out, &st)
	return st, nil
}

// parseSchtasksCSV reads "schtasks /Query /V /FO CSV /NH". Columns are read
// by position because their headers and values are in the user's language:
// 3 is the status ("Running", "Ready"...), 5 the last run time, shown as is.
func parseSchtasksCSV(out []byte, st *Status) {
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil || len(rec) < 6 {
		return
	}
	st.State = rec[3]
	// Only the English word is recognised; other languages still show
	// the state, with Running left false.
	st.Running = strings.EqualFold(rec[3], "Running")
	if rec[5] != "" && !strings.HasPrefix(rec[5], "N/A") && !strings.HasPrefix(rec[5], "11/30/1999") {
		st.State += ", last started " + rec[5]
	}
}
