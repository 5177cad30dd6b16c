//go:build windows

package service

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// hostSCM is the real Windows service control manager.
type hostSCM struct{}

var _ scmAPI = hostSCM{}

func (hostSCM) install(c scmConfig) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager (needs an elevated shell): %w", err)
	}
	defer m.Disconnect()
	cfg := mgr.Config{
		DisplayName:      c.DisplayName,
		Description:      c.Description,
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: true, // boot is not slowed by a monitor
		ErrorControl:     mgr.ErrorNormal,
		ServiceStartName: c.Account,
	}
	s, err := m.OpenService(c.Name)
	if err == nil {
		// Update in place: the binary path or arguments may have changed.
		cmdline := syscall.EscapeArg(c.Binary)
		for _, a := range c.Args {
			cmdline += " " + syscall.EscapeArg(a)
		}
		cur, err := s.Config()
		if err != nil {
			s.Close()
			return fmt.Errorf("read service %s: %w", c.Name, err)
		}
		cfg.ServiceType = cur.ServiceType
		cfg.BinaryPathName = cmdline
		if err := s.UpdateConfig(cfg); err != nil {
			s.Close()
			return fmt.Errorf("update service %s: %w", c.Name, err)
		}
	} else {
		if s, err = m.CreateService(c.Name, c.Binary, cfg, c.Args...); err != nil {
			return fmt.Errorf("create service %s: %w", c.Name, err)
		}
	}
	defer s.Close()
	// A service "fails" when it ends without reporting SERVICE_STOPPED:
	// restart it, backing off, and forget failures after a day.
	actions := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 10 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 60 * time.Second},
	}
	if err := s.SetRecoveryActions(actions, 24*60*60); err != nil {
		return fmt.Errorf("set recovery actions of %s: %w", c.Name, err)
	}
	// A non-zero exit code reported with SERVICE_STOPPED counts as a failure too.
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("set recovery actions of %s: %w", c.Name, err)
	}
	return nil
}

func (h hostSCM) remove(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager (needs an elevated shell): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open service %s: %w", name, err)
	}
	defer s.Close()
	_ = stopAndWait(s) // deleting a running service only marks it for deletion
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete service %s: %w", name, err)
	}
	return nil
}

func (hostSCM) start(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager (needs an elevated shell): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("open service %s: %w", name, err)
	}
	defer s.Close()
	if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
		return fmt.Errorf("start service %s: %w", name, err)
	}
	return nil
}

func (hostSCM) stop(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager (needs an elevated shell): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("open service %s: %w", name, err)
	}
	defer s.Close()
	return stopAndWait(s)
}

// stopAndWait asks the service to stop and waits up to 20 s for it.
func stopAndWait(s *mgr.Service) error {
	st, err := s.Control(svc.Stop)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
			return nil
		}
		return fmt.Errorf("stop service %s: %w", s.Name, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return fmt.Errorf("stop service %s: still %v after 20 s", s.Name, st.State)
		}
		time.Sleep(300 * time.Millisecond)
		if st, err = s.Query(); err != nil {
			return fmt.Errorf("query service %s: %w", s.Name, err)
		}
	}
	return nil
}

// query needs only SC_MANAGER_CONNECT and SERVICE_QUERY_STATUS, so
// "pb service status --system" works from a normal shell.
func (hostSCM) query(name string) (bool, string, int, time.Time, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return false, "", 0, time.Time{}, fmt.Errorf("connect to the service manager: %w", err)
	}
	defer windows.CloseServiceHandle(h)
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return false, "", 0, time.Time{}, err
	}
	sh, err := windows.OpenService(h, n, windows.SERVICE_QUERY_STATUS)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return false, "not installed", 0, time.Time{}, nil
	}
	if err != nil {
		return false, "", 0, time.Time{}, fmt.Errorf("open service %s: %w", name, err)
	}
	defer windows.CloseServiceHandle(sh)
	var p windows.SERVICE_STATUS_PROCESS
	var need uint32
	if err := windows.QueryServiceStatusEx(sh, windows.SC_STATUS_PROCESS_INFO, (*byte)(unsafe.Pointer(&p)), uint32(unsafe.Sizeof(p)), &need); err != nil {
		return true, "", 0, time.Time{}, fmt.Errorf("query service %s: %w", name, err)
	}
	var since time.Time
	if p.ProcessId != 0 {
		since, _ = windowsProcessStart(int(p.ProcessId))
	}
	return true, scmStateName(p.CurrentState), int(p.ProcessId), since, nil
}

func scmStateName(s uint32) string {
	switch s {
	case windows.SERVICE_STOPPED:
		return "stopped"
	case windows.SERVICE_START_PENDING:
		return "starting"
	case windows.SERVICE_STOP_PENDING:
		return "stopping"
	case windows.SERVICE_RUNNING:
		return "running"
	case windows.SERVICE_CONTINUE_PENDING:
		return "continuing"
	case windows.SERVICE_PAUSE_PENDING:
		return "pausing"
	case windows.SERVICE_PAUSED:
		return "paused"
	}
	return fmt.Sprintf("state %d", s)
}
