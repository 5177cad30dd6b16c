//go:build !linux

package apps

// Open reports that per-app counting is not available: macOS and Windows
// offer it only through interfaces pb cannot read exactly from pure Go yet
// (see the README's per-app section), and pb shows no number rather than a
// wrong one.
func Open() (Source, error) { return nil, ErrUnsupported }

// OpenSockDiag reports that the TCP-only fallback is not available either:
// it reads Linux's socket diagnostics.
func OpenSockDiag(procRoot string) (Source, error) { return nil, ErrUnsupported }
