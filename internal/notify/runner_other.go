//go:build !windows

package notify

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// ExecRunner runs commands with os/exec.
type ExecRunner struct{}

// Run runs name with args and returns its output in the error when it fails.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
