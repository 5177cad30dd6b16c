package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/service"
	"github.com/packetbuddy/pb/internal/update"
	"github.com/packetbuddy/pb/internal/version"
)

const updateHelp = `
Replace this pb binary with the latest release when that is newer. pb reads
the latest release (GitHub, or --url / PB_UPDATE_URL), checks that its
SHA256SUMS is signed with the PacketBuddy release key built into pb, checks
the archive's SHA-256, checks that the new binary runs, and swaps it in
atomically. The previous binary stays next to pb as pb.old, and
"pb update --rollback" puts it back. A running "pb service" is restarted on
the new binary.

pb never updates itself on its own and never installs an older version.`

// Test hooks: the binary to replace and the HTTP client.
var (
	updateExecutable = func() (string, error) {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		// Replace the file itself, not a symlink pointing at it.
		return filepath.EvalSymlinks(exe)
	}
	updateClient = func() *http.Client {
		t := http.DefaultTransport.(*http.Transport).Clone() // keeps HTTPS_PROXY support
		t.TLSHandshakeTimeout = 15 * time.Second
		t.ResponseHeaderTimeout = 30 * time.Second
		return &http.Client{Transport: t, Timeout: 10 * time.Minute}
	}
)

// updateOpts are pb update's flags.
type updateOpts struct {
	common                             commonFlags
	check, rollback, noRestart, asJSON bool
	url                                string
}

// updateFlags defines pb update's flags.
func updateFlags(env Env) (*flag.FlagSet, *updateOpts) {
	o := new(updateOpts)
	fs := newFlagSet("update", env, &o.common)
	fs.BoolVar(&o.check, "check", false, "only tell whether a newer release exists")
	fs.BoolVar(&o.rollback, "rollback", false, "put back the previous binary (pb.old)")
	fs.StringVar(&o.url, "url", "", "latest-release JSON `URL` (default PB_UPDATE_URL, then "+update.DefaultURL+")")
	fs.BoolVar(&o.noRestart, "no-restart", false, "do not restart a running pb service")
	fs.BoolVar(&o.asJSON, "json", false, "with --check: print JSON")
	return fs, o
}

func runUpdate(ctx context.Context, args []string, env Env) error {
	fs, o := updateFlags(env)
	if err := parse(fs, args, "update"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("update", "unexpected argument %q", fs.Arg(0))
	}
	if o.check && o.rollback {
		return usagef("update", "--check and --rollback do not go together")
	}
	if o.asJSON && !o.check {
		return usagef("update", "--json goes with --check")
	}
	exe, err := updateExecutable()
	if err != nil {
		return fmt.Errorf("find the pb binary: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()

	if o.rollback {
		running := runningServices(ctx, o.common, env, o.noRestart)
		if err := update.Rollback(exe); err != nil {
			return err
		}
		now := "the previous version"
		if out, err := probeVersion(ctx, exe); err == nil {
			now = strings.TrimSpace(out)
		}
		fmt.Fprintf(env.Stdout, "rolled back %s: it is %s again; the replaced binary is now %s (\"pb update --rollback\" swaps back)\n", exe, now, update.OldPath(exe))
		restartServices(ctx, running, env)
		return nil
	}

	u := &update.Updater{
		Client:     updateClient(),
		URL:        o.url,
		Current:    version.String(),
		Executable: exe,
		UserAgent:  "pb/" + version.String() + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")",
		Probe:      probeVersion,
	}
	if u.URL == "" {
		u.URL = env.Getenv("PB_UPDATE_URL")
	}
	rel, err := u.Check(ctx)
	if err != nil {
		return err
	}
	if o.check && o.asJSON {
		return writeJSON(env.Stdout, struct {
			Current         string `json:"current"`
			Latest          string `json:"latest"`
			UpdateAvailable bool   `json:"update_available"`
			Archive         string `json:"archive,omitempty"`
			ArchiveSize     int64  `json:"archive_size,omitempty"`
		}{u.Current, rel.Version, rel.Cmp > 0, rel.Archive.Name, rel.Archive.Size})
	}
	switch {
	case rel.Cmp == 0:
		fmt.Fprintf(env.Stdout, "pb %s is up to date.\n", u.Current)
		return nil
	case rel.Cmp < 0:
		fmt.Fprintf(env.Stdout, "pb %s is newer than the latest release (%s); nothing to do.\n", u.Current, rel.Version)
		return nil
	case o.check:
		fmt.Fprintf(env.Stdout, "pb %s is available (this is %s). Run \"pb update\" to install it.\n", rel.Version, u.Current)
		return nil
	}
	running := runningServices(ctx, o.common, env, o.noRestart)
	fmt.Fprintf(env.Stdout, "downloading %s (%d bytes)...\n", rel.Archive.Name, rel.Archive.Size)
	if err := u.Apply(ctx, rel); err != nil {
		if errors.Is(err, update.ErrNoKey) || errors.Is(err, update.ErrBadSignature) || errors.Is(err, update.ErrChecksum) {
			return fmt.Errorf("%w; pb was not changed", err)
		}
		return fmt.Errorf("update to %s: %w; pb was not changed", rel.Version, err)
	}
	fmt.Fprintf(env.Stdout, "updated %s from %s to %s; the previous binary is %s (\"pb update --rollback\" puts it back)\n", exe, u.Current, rel.Version, update.OldPath(exe))
	restartServices(ctx, running, env)
	return nil
}

// probeVersion runs "<path> version", through the service package's
// runner (the one place pb starts processes).
func probeVersion(ctx context.Context, path string) (string, error) {
	out, err := service.ExecRunner{Timeout: 20 * time.Second}.Run(ctx, path, "version")
	return string(out), err
}

// runningServices returns the managers whose pb service is running now,
// to restart them after the binary changed. Errors only mean "not running
// here", so they are not reported.
func runningServices(ctx context.Context, common commonFlags, env Env, skip bool) []*service.Manager {
	if skip {
		return nil
	}
	var running []*service.Manager
	for _, system := range []bool{false, true} {
		if system && runtime.GOOS == "darwin" {
			continue
		}
		// dryRun=true: a test binary may be updated; only status is asked.
		m, err := newServiceManager(common, env, system, false, true)
		if err != nil {
			continue
		}
		if st, err := m.Status(ctx); err == nil && st.Installed && st.Known && st.Running {
			running = append(running, m)
		}
	}
	return running
}

func restartServices(ctx context.Context, ms []*service.Manager, env Env) {
	for _, m := range ms {
		fmt.Fprintf(env.Stdout, "restarting the %s...\n", m.Describe())
		if err := m.Do(ctx, service.Restart, false, env.Stdout); err != nil {
			// The binary is already replaced; a failed restart only delays
			// the new version until the next start.
			fmt.Fprintf(env.Stderr, "pb update: could not restart the %s: %s\nRestart it yourself (\"pb service restart\", with --system and sudo or an elevated shell for a machine-wide service).\n", m.Describe(), err)
		}
	}
}
