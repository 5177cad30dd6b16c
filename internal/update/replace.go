package update

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrNoPrevious: there is no pb.old to roll back to.
var ErrNoPrevious = errors.New("no previous version to roll back to")

// OldPath is where the previous binary is kept: "pb.old" next to "pb"
// ("pb.exe.old" on Windows).
func OldPath(exe string) string { return exe + ".old" }

// install puts the new binary at newPath in place of exe and keeps the
// current one as OldPath(exe). newPath must be in exe's directory, so the
// final rename is atomic: at every moment exe is either the old binary or
// the new one.
func install(exe, newPath string) error {
	if runtime.GOOS == "windows" {
		return installByRename(exe, newPath)
	}
	return installByLink(exe, newPath)
}

// installByLink (Unix): hard-link the current binary as pb.old, then
// rename the new one over pb. A running pb keeps its open inode.
func installByLink(exe, newPath string) error {
	old := OldPath(exe)
	if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", old, err)
	}
	if err := os.Link(exe, old); err != nil {
		// File systems without hard links: a copy does as well.
		if err := copyFile(exe, old); err != nil {
			return fmt.Errorf("keep the previous version as %s: %w", old, err)
		}
	}
	if err := os.Rename(newPath, exe); err != nil {
		return fmt.Errorf("replace %s: %w", exe, err)
	}
	return syncDir(filepath.Dir(exe))
}

// installByRename (Windows): a running .exe cannot be overwritten or
// deleted, but it can be renamed, so the current binary moves aside to
// pb.exe.old first and the new one takes its name.
func installByRename(exe, newPath string) error {
	old := OldPath(exe)
	if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// The previous-previous pb may still be running (a service not yet
		// restarted): move it out of the way rather than fail.
		if err2 := os.Rename(old, fmt.Sprintf("%s.%d", old, os.Getpid())); err2 != nil {
			return fmt.Errorf("remove %s: %w", old, err)
		}
	}
	if err := os.Rename(exe, old); err != nil {
		return fmt.Errorf("move %s aside: %w", exe, err)
	}
	if err := os.Rename(newPath, exe); err != nil {
		if err2 := os.Rename(old, exe); err2 != nil {
			return fmt.Errorf("replace %s: %w; and putting it back failed: %v (the previous pb is %s)", exe, err, err2, old)
		}
		return fmt.Errorf("replace %s: %w", exe, err)
	}
	return syncDir(filepath.Dir(exe))
}

// Rollback swaps exe and OldPath(exe): the previous version comes back
// and the one it replaces becomes pb.old (so a second rollback undoes the
// first).
func Rollback(exe string) error {
	old := OldPath(exe)
	if _, err := os.Stat(old); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (%s does not exist)", ErrNoPrevious, old)
	} else if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	tmp := fmt.Sprintf("%s.rollback-%d", exe, os.Getpid())
	// Move the current binary aside (renaming works on a running .exe too),
	// bring the old one back, and keep the current as the new pb.old.
	if err := os.Rename(exe, tmp); err != nil {
		return fmt.Errorf("rollback: move %s aside: %w", exe, err)
	}
	if err := os.Rename(old, exe); err != nil {
		if err2 := os.Rename(tmp, exe); err2 != nil {
			return fmt.Errorf("rollback: %w; and restoring %s failed: %v (it is at %s)", err, exe, err2, tmp)
		}
		return fmt.Errorf("rollback: %w", err)
	}
	if err := os.Rename(tmp, old); err != nil {
		return fmt.Errorf("rollback done, but keeping the replaced version as %s failed: %w", old, err)
	}
	return syncDir(filepath.Dir(exe))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncDir makes the renames in dir durable. Windows cannot open a
// directory for syncing; NTFS journals renames itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
