package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// templateHeader opens the file "pb config init" writes.
const templateHeader = `# PacketBuddy configuration.
#
# Every setting is shown with its default value: change what you need and
# leave the rest. Durations are written like "500ms", "30s", "5m" or "1h".
# The environment variable named in a setting's comment overrides it;
# "pb config show" prints the values in effect.
`

// Template returns the commented default config file: every setting with its
// default value and a line on why you would change it. Loading it gives
// exactly Default().
func Template() string {
	c := Default()
	return writeDoc(&c, templateHeader, true)
}

// TOML returns the configuration in effect as TOML, for "pb config show",
// with the database password masked. It loads back to the same settings
// (apart from the masked password).
func (c Config) TOML() (string, error) {
	r := c.Redacted()
	file := "none (built-in defaults)"
	if c.Path != "" {
		file = quote(c.Path)
	}
	dir := "(not set)"
	if c.DataDir != "" {
		dir = quote(c.DataDir)
	}
	header := "# PacketBuddy configuration in effect (file, then PB_* environment variables).\n" +
		"# File: " + file + "\n" +
		"# Data directory: " + dir + "\n"
	return writeDoc(&r, header, false), nil
}

// writeDoc writes c as a TOML document in the order of the settings table,
// with the settings' comments when comments is true.
func writeDoc(c *Config, header string, comments bool) string {
	var b strings.Builder
	b.WriteString(header)
	writeField := func(f field) {
		if comments {
			b.WriteString("\n")
			for _, l := range f.doc {
				b.WriteString("# " + l + "\n")
			}
			b.WriteString("# Environment: " + f.env + "\n")
		}
		b.WriteString(leaf(f.key) + " = " + render(f, c) + "\n")
	}
	for _, f := range fields {
		if section(f.key) == "" {
			writeField(f)
		}
	}
	for _, t := range tables {
		b.WriteString("\n")
		if comments {
			b.WriteString("\n")
			for _, l := range t.doc {
				b.WriteString("# " + l + "\n")
			}
		}
		b.WriteString("[" + t.name + "]\n")
		for _, f := range fields {
			if section(f.key) == t.name {
				writeField(f)
			}
		}
	}
	return b.String()
}

// WriteTemplate writes Template() to path for "pb config init": the parent
// directory is created 0700 and the file 0600 (it may later hold a database
// password). An existing file is only replaced when force is set, and then
// atomically, so an interrupted write never leaves half a config.
func WriteTemplate(path string, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config %s: create directory: %w", path, err)
	}
	data := []byte(Template())
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("config %s already exists; pass --force to overwrite it", path)
		}
		if err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(path)
			return fmt.Errorf("config %s: %w", path, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.toml") // created 0600
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}
