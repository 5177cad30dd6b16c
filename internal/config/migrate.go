package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Suffix1x is added to a PacketBuddy 1.x config file's name when
// "pb config migrate" replaces it: config.toml.1x.
const Suffix1x = ".1x"

// ErrNot1x means the file is already in pb's format: nothing to migrate.
var ErrNot1x = errors.New("not a PacketBuddy 1.x config file")

// Migrate rewrites a PacketBuddy 1.x config file (data, read from path) in
// pb's format: every setting with its value and comment, as "pb config init"
// writes them, headed by what became of each 1.x key. The environment is
// not read, so nothing of it is written into the file. It returns ErrNot1x
// for a file already in pb's format, and the file's problems if it has any.
func Migrate(data []byte, path string) (string, []Notice, error) {
	cfg, err := load(data, path, func(string) string { return "" })
	if err != nil {
		return "", nil, err
	}
	if !cfg.Is1x() {
		return "", nil, fmt.Errorf("%s: %w: it is already in pb's format", path, ErrNot1x)
	}
	var b strings.Builder
	b.WriteString("# PacketBuddy configuration, migrated from PacketBuddy 1.x by \"pb config migrate\".\n")
	b.WriteString("# The 1.x file is kept beside this one as " + filepath.Base(path) + Suffix1x + ". What became of\n")
	b.WriteString("# each 1.x setting:\n#\n")
	for _, n := range cfg.Legacy {
		line := "#   " + n.At() + n.Key
		if n.Value != "" {
			line += " = " + n.Value
		}
		b.WriteString(line + ": " + n.Msg + "\n")
	}
	b.WriteString("#\n")
	rest := strings.TrimPrefix(templateHeader, "# PacketBuddy configuration.\n#\n")
	b.WriteString(strings.Replace(rest, "with its default value", "with its value", 1))
	return writeDoc(&cfg, b.String(), true), cfg.Legacy, nil
}

// MigrateFile migrates the 1.x config file at path in place: the old file
// is renamed to path + ".1x" and the new one written (0600) in its place,
// atomically. Nothing is changed when the file has problems, is already in
// pb's format (ErrNot1x), or a ".1x" file is already there.
func MigrateFile(path string) ([]Notice, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no config file at %s: nothing to migrate", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	text, notices, err := Migrate(data, path)
	if err != nil {
		return nil, err
	}
	old := path + Suffix1x
	if _, err := os.Lstat(old); err == nil {
		return nil, fmt.Errorf("%s already exists (an earlier migration?); move it away and run pb config migrate again", old)
	}
	// The copy is written before the new file replaces the old, so a crash
	// in between never leaves no config; 0600, since it may hold the
	// database password.
	if err := writeNew(old, data); err != nil {
		return nil, fmt.Errorf("keep the 1.x file as %s: %w", old, err)
	}
	if err := writeAtomic(path, []byte(text)); err != nil {
		_ = os.Remove(old)
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return notices, nil
}

// writeNew writes data to a file that must not exist yet, 0600, synced.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}
