//go:build !linux

package footprint

// trimProgram is Linux only; elsewhere the program's pages are left to the
// OS.
func trimProgram() {}
