//go:build windows

package service

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
)

// IsWindowsService reports whether pb was started by the Windows service
// control manager, in which case pb serve must run under
// RunWindowsService (the SCM kills a service that never reports running).
func IsWindowsService() bool {
	ok, err := svc.IsWindowsService()
	return err == nil && ok
}

// RunWindowsService runs run as the Windows service name: it reports
// "running" to the service control manager, cancels run's context on Stop
// or Shutdown, and reports "stopped" when run returns. An error from run
// becomes a non-zero exit code, which the recovery actions set by
// "pb service install --system" answer with a restart.
func RunWindowsService(name string, run func(ctx context.Context) error) error {
	h := &winHandler{run: run}
	if err := svc.Run(name, h); err != nil {
		return fmt.Errorf("run as Windows service %s: %w", name, err)
	}
	return h.err
}

type winHandler struct {
	run func(ctx context.Context) error
	err error
}

// Execute implements svc.Handler.
func (h *winHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done:
			h.err = err
			status <- svc.Status{State: svc.StopPending}
			if err != nil && !errors.Is(err, context.Canceled) {
				return false, 1
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				cancel()
			}
		}
	}
}

var (
	kernel32                  = windows.NewLazySystemDLL("kernel32.dll")
	procGetConsoleProcessList = kernel32.NewProc("GetConsoleProcessList")
	procFreeConsole           = kernel32.NewProc("FreeConsole")
)

// DetachConsole closes the console window that Windows opens for pb when
// the logon task starts it, and reports whether it did. It only acts when
// pb is the console's sole process, so a "pb serve" typed in a terminal
// keeps its terminal. After it returns true, standard output and error go
// nowhere: pb serve should then write its log to LogFile(dataDir).
func DetachConsole() bool {
	var pids [2]uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&pids[0])), uintptr(len(pids)))
	if n != 1 {
		return false // no console, or shared with a shell
	}
	r, _, _ := procFreeConsole.Call()
	return r != 0
}
