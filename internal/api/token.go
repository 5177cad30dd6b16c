package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// TokenFile is the name of the API token file in the data directory.
const TokenFile = "api-token"

// minTokenLen keeps a hand-written token from being guessable.
const minTokenLen = 16

// EnsureToken returns the API token stored in dataDir, creating it on first
// use: 32 bytes from crypto/rand, base64url, in a file of mode 0600 (the
// directory 0700). An existing file that others can read, or that holds a
// short token, is refused with an error that says how to fix it. The token
// itself never appears in an error.
func EnsureToken(dataDir string) (string, error) {
	p := filepath.Join(dataDir, TokenFile)
	tok, err := readToken(p)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("api token: create %s: %w", dataDir, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("api token: random bytes: %w", err)
	}
	tok = base64.RawURLEncoding.EncodeToString(raw)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // created meanwhile by another pb
		return readToken(p)
	}
	if err != nil {
		return "", fmt.Errorf("api token: create %s: %w", p, err)
	}
	_, werr := f.WriteString(tok + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(p)
		return "", fmt.Errorf("api token: write %s: %w", p, err)
	}
	return tok, nil
}

func readToken(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("api token: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("api token: %s can be read by other users (mode %v); run: chmod 600 %s", p, fi.Mode().Perm(), p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("api token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minTokenLen || strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("api token: %s must hold one token of at least %d characters without spaces; delete it to have a new one generated", p, minTokenLen)
	}
	return tok, nil
}
