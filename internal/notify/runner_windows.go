//go:build windows

package notify

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
)

// createNoWindow keeps PowerShell from flashing a console window when the
// daemon runs as a background service.
const createNoWindow = 0x08000000

// ExecRunner runs commands with os/exec.
type ExecRunner struct{}

// Run runs name with args, without a console window, and returns its
// output in the error when it fails.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: createNoWindow}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
