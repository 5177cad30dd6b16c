//go:build !linux && !darwin && !windows

package counter

import (
	"fmt"
	"runtime"
)

// NewReader returns an error: pb reads counters on Linux, macOS and Windows
// only. This file keeps the package building everywhere else.
func NewReader() (Reader, error) {
	return nil, fmt.Errorf("counters are not supported on %s", runtime.GOOS)
}
