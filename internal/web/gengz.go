//go:build ignore

// gengz writes name.gz beside every text file of static/ worth compressing,
// so the daemon serves precompressed bytes and never compresses at run time.
// Run it from this folder with `go generate` (see web.go); the output is
// committed, and TestGzipVariants checks it is current.
package main

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/packetbuddy/pb/internal/web"
)

func main() {
	root := "static"
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".gz") {
			// Rewritten below, or removed when its source is gone.
			if _, err := os.Stat(strings.TrimSuffix(p, ".gz")); err != nil {
				return os.Remove(p)
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !web.Compressible(p, len(b)) {
			if err := os.Remove(p + ".gz"); err != nil && !os.IsNotExist(err) {
				return err
			}
			return nil
		}
		var z bytes.Buffer
		w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			return err
		}
		// No name and no time in the header: the output depends only on the
		// input, so regenerating changes nothing.
		if _, err := w.Write(b); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		return os.WriteFile(p+".gz", z.Bytes(), 0o644)
	})
	if err != nil {
		log.Fatal(err)
	}
}
