//go:build linux

package counter

import (
	"slices"

	"golang.org/x/sys/unix"
)

// NewReader returns the Linux reader: counters from /proc/net/dev, Info from
// /sys/class/net.
func NewReader() (Reader, error) {
	return newLinuxReader("/proc", "/sys"), nil
}

// readFileInto reads the whole file at path into buf (from len(buf)),
// growing it as needed, and returns it. It uses raw open/read/close rather
// than os.Open: a proc file cannot be polled, so the *os.File and its poller
// registration would be pure overhead on every poll.
func readFileInto(path string, buf []byte) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return buf, err
	}
	defer unix.Close(fd)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), 4096))
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, err
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
