//go:build !windows

package service

import (
	"fmt"
	"time"
)

// hostSCM exists only on Windows; elsewhere a --system plan for Windows
// can be rendered (--dry-run, tests) but not applied.
type hostSCM struct{}

var _ scmAPI = hostSCM{}

func errNoSCM() error {
	return fmt.Errorf("the Windows service manager: %w on %s", ErrNotSupported, goosOfHost)
}

func (hostSCM) install(scmConfig) error { return errNoSCM() }
func (hostSCM) remove(string) error     { return errNoSCM() }
func (hostSCM) start(string) error      { return errNoSCM() }
func (hostSCM) stop(string) error       { return errNoSCM() }
func (hostSCM) query(string) (bool, string, int, time.Time, error) {
	return false, "", 0, time.Time{}, errNoSCM()
}
