//go:build !linux

package counter

import "errors"

// NewProcReader returns an error: only Linux has a /proc/<pid>/net/dev to
// point the reader at.
func NewProcReader(procPath string) (Reader, error) {
	return nil, errors.New("monitoring.proc_path is Linux only; leave it empty (and PB_PROC_PATH unset) on this system")
}
