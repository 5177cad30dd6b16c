package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Profiling the daemon at rest: PB_CPUPROFILE=file records a CPU profile of
// the whole run, PB_MEMPROFILE=file writes a heap profile when pb serve
// stops (after a GC, so it shows what is live). Both go to files the user
// names; nothing is served on the API. Read them with `go tool pprof`.
const (
	envCPUProfile = "PB_CPUPROFILE"
	envMemProfile = "PB_MEMPROFILE"
)

// startProfiles starts what the environment asks for and returns the
// function that finishes it, to be called once when the daemon stops.
func startProfiles(getenv func(string) string) (stop func() error, err error) {
	cpuPath, memPath := getenv(envCPUProfile), getenv(envMemProfile)
	if memPath == "" {
		// Linking runtime/pprof turns on the runtime's heap sampling (one
		// sample per 512 KB allocated), whose stack table is never freed
		// and grew the daemon's private memory at rest. Without
		// PB_MEMPROFILE nobody reads it.
		runtime.MemProfileRate = 0
	}
	var cpu *os.File
	if cpuPath != "" {
		cpu, err = os.Create(cpuPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envCPUProfile, err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("%s: %w", envCPUProfile, err)
		}
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", envCPUProfile, err))
			}
		}
		if memPath != "" {
			errs = append(errs, writeHeapProfile(memPath))
		}
		return errors.Join(errs...)
	}, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: %w", envMemProfile, err)
	}
	runtime.GC() // the profile then shows the live heap as of now
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", envMemProfile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", envMemProfile, err)
	}
	return nil
}
