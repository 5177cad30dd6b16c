package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Runner runs a service manager's command line tool (systemctl, launchctl,
// schtasks, icacls). It is the only way this package starts processes, so
// tests replace it with a fake and pb runs no other subprocess.
type Runner interface {
	// Run runs name with args and returns its standard output. A non-zero
	// exit is an error that carries the command's standard error text.
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ExecRunner is the Runner that really runs commands, each bounded by
// Timeout (default 30 s) so a hung service manager cannot hang pb.
type ExecRunner struct {
	Timeout time.Duration
}

var _ Runner = ExecRunner{}

// CommandError is a command that ran and failed.
type CommandError struct {
	Command  string // as the user would type it
	ExitCode int    // -1 when the command did not start or was killed
	Stderr   string // trimmed
	Err      error
}

func (e *CommandError) Error() string {
	msg := e.Stderr
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("%s: %s", e.Command, msg)
}

func (e *CommandError) Unwrap() error { return e.Err }

// Run implements Runner.
func (r ExecRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The manager tools print in the user's language; status parsing reads
	// fields by position, never by label, so no locale is forced here.
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	text := strings.TrimSpace(stderr.String())
	if text == "" {
		// launchctl and schtasks print some errors on standard output.
		text = strings.TrimSpace(stdout.String())
	}
	return stdout.Bytes(), &CommandError{
		Command:  displayCommand(goosOfHost, append([]string{name}, args...)),
		ExitCode: code,
		Stderr:   text,
		Err:      err,
	}
}
