//go:build !linux

package counter

import (
	"io"
	"os"
	"slices"
)

// readFileInto reads the whole file at path into buf (from len(buf)),
// growing it as needed. Off Linux it only serves the fixture tests of the
// Linux reader, so it uses plain os.Open.
func readFileInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), 4096))
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
