package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A Plan is what one action does, in order: directories and files to create
// or remove and commands to run. It is built without side effects, so
// --dry-run prints exactly the plan that Apply would carry out.
type Plan struct {
	Action Action
	Steps  []Step
	// Notes are advice shown after the steps (for example how to keep a
	// user service running without a login session).
	Notes []string
}

// StepKind says what a Step does.
type StepKind string

// The kinds of step.
const (
	StepMkdir  StepKind = "mkdir"  // create Path (and parents) with Mode
	StepWrite  StepKind = "write"  // write Content to Path with Mode, atomically
	StepRemove StepKind = "remove" // remove the file Path; absent is fine
	StepPurge  StepKind = "purge"  // remove the directory Path and everything in it
	StepRun    StepKind = "run"    // run Argv through the Runner
	StepCall   StepKind = "call"   // an OS API call (the Windows service manager)
)

// A Step is one thing a plan does.
type Step struct {
	Kind StepKind
	Path string
	Mode fs.FileMode
	// Content is the exact bytes written; Text is the same content as
	// UTF-8 text when the bytes are another encoding (the UTF-16 task XML).
	Content []byte
	Text    string
	Argv    []string
	// IgnoreError lets the plan go on when the step fails (stopping a
	// service that is not running, unloading one that is not loaded).
	IgnoreError bool
	// Describe is the sentence shown for a StepCall; Call does it.
	Describe string
	Call     func(ctx context.Context) error
}

// render writes the step as the dry run shows it.
func (s Step) render(w io.Writer, goos string) {
	switch s.Kind {
	case StepMkdir:
		fmt.Fprintf(w, "mkdir %s (mode %04o)\n", s.Path, s.Mode.Perm())
	case StepWrite:
		text := s.Text
		note := ""
		if text == "" {
			text = string(s.Content)
		} else {
			note = ", UTF-16LE with BOM"
		}
		fmt.Fprintf(w, "write %s (mode %04o%s):\n", s.Path, s.Mode.Perm(), note)
		fmt.Fprintf(w, "----- begin %s -----\n", filepathBase(goos, s.Path))
		io.WriteString(w, text)
		if !strings.HasSuffix(text, "\n") {
			io.WriteString(w, "\n")
		}
		fmt.Fprintf(w, "----- end %s -----\n", filepathBase(goos, s.Path))
	case StepRemove:
		fmt.Fprintf(w, "remove %s\n", s.Path)
	case StepPurge:
		fmt.Fprintf(w, "remove %s and everything in it (--purge)\n", s.Path)
	case StepRun:
		suffix := ""
		if s.IgnoreError {
			suffix = "   (a failure here is fine)"
		}
		fmt.Fprintf(w, "run   %s%s\n", displayCommand(goos, s.Argv), suffix)
	case StepCall:
		fmt.Fprintf(w, "call  %s\n", s.Describe)
	}
}

func filepathBase(goos, p string) string {
	if goos == "windows" {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Render writes the whole plan in the --dry-run form: every file's exact
// content and every command, in order.
func (p *Plan) Render(w io.Writer, goos string) {
	for _, s := range p.Steps {
		s.render(w, goos)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// apply carries out the plan's steps, reporting each to progress.
func (p *Plan) apply(ctx context.Context, r Runner, goos string, progress io.Writer) error {
	for _, s := range p.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.do(ctx, r)
		switch {
		case err == nil:
			fmt.Fprintf(progress, "%s\n", s.summary(goos))
		case s.IgnoreError:
			fmt.Fprintf(progress, "%s (ignored: %s)\n", s.summary(goos), firstLine(err.Error()))
		default:
			return err
		}
	}
	return nil
}

// summary is the one line shown when a step has been done.
func (s Step) summary(goos string) string {
	switch s.Kind {
	case StepMkdir:
		return "created " + s.Path
	case StepWrite:
		return "wrote " + s.Path
	case StepRemove:
		return "removed " + s.Path
	case StepPurge:
		return "removed " + s.Path + " and its contents"
	case StepRun:
		return "ran " + displayCommand(goos, s.Argv)
	default:
		return s.Describe
	}
}

func (s Step) do(ctx context.Context, r Runner) error {
	switch s.Kind {
	case StepMkdir:
		if err := os.MkdirAll(s.Path, s.Mode.Perm()); err != nil {
			return fmt.Errorf("create %s: %w", s.Path, err)
		}
		return nil
	case StepWrite:
		return writeFileAtomic(s.Path, s.Content, s.Mode.Perm())
	case StepRemove:
		if err := os.Remove(s.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", s.Path, err)
		}
		return nil
	case StepPurge:
		if err := os.RemoveAll(s.Path); err != nil {
			return fmt.Errorf("remove %s: %w", s.Path, err)
		}
		return nil
	case StepRun:
		if _, err := r.Run(ctx, s.Argv[0], s.Argv[1:]...); err != nil {
			return err
		}
		return nil
	case StepCall:
		if err := s.Call(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.Describe, err)
		}
		return nil
	}
	return fmt.Errorf("unknown step kind %q", s.Kind)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a service manager never reads half a definition.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
