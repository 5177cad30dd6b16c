//go:build !windows

package service

import (
	"context"
	"fmt"
)

// IsWindowsService reports whether pb was started by the Windows service
// control manager; never outside Windows.
func IsWindowsService() bool { return false }

// RunWindowsService runs run under the Windows service control manager;
// outside Windows it fails with ErrNotSupported.
func RunWindowsService(name string, run func(ctx context.Context) error) error {
	return fmt.Errorf("run as Windows service %s: %w on %s", name, ErrNotSupported, goosOfHost)
}

// DetachConsole closes a console window that belongs to pb alone (a
// Windows logon task); outside Windows there is none and it returns false.
func DetachConsole() bool { return false }
