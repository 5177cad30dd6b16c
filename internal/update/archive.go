package update

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// maxBinarySize bounds the extracted binary, so a hostile or corrupt
// archive (which would already have failed the signature check) cannot
// fill the disk. pb is about 13 MB.
const maxBinarySize = 256 << 20

// extractBinary copies the file named name (at any depth) out of the
// archive at archivePath (.tar.gz or .zip) into w.
func extractBinary(archivePath, name string, w io.Writer) error {
	if strings.HasSuffix(archivePath, ".zip") {
		return extractZip(archivePath, name, w)
	}
	return extractTarGz(archivePath, name, w)
}

func extractTarGz(archivePath, name string, w io.Writer) error {
	f, err := os.Open(archivePath)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("read archive: %w", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the archive has no %s", name)
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg || path.Base(h.Name) != name {
			continue
		}
		return copyBounded(w, tr, h.Size)
	}
}

func extractZip(archivePath, name string, w io.Writer) error {
	zr, err := zip.OpenReader(archivePath)
	if err != nil {
		return fmt.Errorf("read archive: %w", err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || path.Base(f.Name) != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		defer rc.Close()
		return copyBounded(w, rc, int64(f.UncompressedSize64))
	}
	return fmt.Errorf("the archive has no %s", name)
}

func copyBounded(w io.Writer, r io.Reader, size int64) error {
	if size > maxBinarySize {
		return fmt.Errorf("the binary in the archive is %d bytes, more than the %d allowed", size, maxBinarySize)
	}
	n, err := io.Copy(w, io.LimitReader(r, maxBinarySize+1))
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	if n > maxBinarySize {
		return fmt.Errorf("the binary in the archive is larger than the %d bytes allowed", maxBinarySize)
	}
	return nil
}
