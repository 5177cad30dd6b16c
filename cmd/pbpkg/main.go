// Command pbpkg writes the packaging files of a PacketBuddy release; the
// release script runs it from the repository's root.
//
//	pbpkg notices [-o FILE]                     THIRD_PARTY_NOTICES for ./cmd/pb
//	pbpkg unit [-o FILE]                        the systemd unit the deb and rpm install
//	pbpkg manifests -version V -sums FILE -o DIR
//	                                            DIR/pb.rb (Homebrew) and DIR/pb.json (Scoop)
//
// Without -o, notices and unit go to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/packetbuddy/pb/internal/release"
	"github.com/packetbuddy/pb/internal/service"
)

const usage = `Usage:
  pbpkg notices [-o FILE]       THIRD_PARTY_NOTICES for ./cmd/pb (run in the repository)
  pbpkg unit [-o FILE]          the systemd unit the deb and rpm packages install
  pbpkg manifests -version V -sums FILE -o DIR
                                DIR/pb.rb (Homebrew formula) and DIR/pb.json (Scoop
                                manifest) from the archives' sha256sum lines in FILE
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(os.Stdout, usage)
			return
		}
		fmt.Fprintf(os.Stderr, "pbpkg: %s\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("no command; pbpkg -h lists them")
	}
	fs := flag.NewFlagSet("pbpkg "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "output file (notices, unit) or folder (manifests)")
	version := fs.String("version", "", "release version (manifests)")
	sumsFile := fs.String("sums", "", "sha256sum output for the archives (manifests)")
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return flag.ErrHelp
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%s: unexpected arguments %q", args[0], fs.Args())
	}
	switch args[0] {
	case "notices":
		b, err := notices(ctx)
		if err != nil {
			return err
		}
		return write(*out, stdout, b)
	case "unit":
		b, err := service.PackageUnit("/usr/bin/pb")
		if err != nil {
			return err
		}
		return write(*out, stdout, b)
	case "manifests":
		if *version == "" || *sumsFile == "" || *out == "" {
			return errors.New("manifests needs -version, -sums and -o")
		}
		return manifests(*version, *sumsFile, *out)
	}
	return fmt.Errorf("unknown command %q; pbpkg -h lists them", args[0])
}

// notices collects the licences of everything in pb: the Go distribution,
// each module compiled in (for every OS) and the vendored dashboard files.
func notices(ctx context.Context) ([]byte, error) {
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	root, err := exec.CommandContext(ctx, goCmd, "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	goLicense, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "LICENSE"))
	if err != nil {
		return nil, fmt.Errorf("the Go licence: %w", err)
	}
	mods, err := release.BuildModules(ctx, goCmd, ".", "./cmd/pb", release.NoticeOSes)
	if err != nil {
		return nil, err
	}
	mc, err := release.ModuleComponents(mods)
	if err != nil {
		return nil, err
	}
	vc, err := release.VendoredComponents(filepath.Join("internal", "web", "static", "vendor"))
	if err != nil {
		return nil, err
	}
	cc, err := release.CSourceComponents(".", release.CSources)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := release.WriteNotices(&b, goLicense, mc, vc, cc); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func manifests(version, sumsFile, dir string) error {
	f, err := os.Open(sumsFile)
	if err != nil {
		return err
	}
	defer f.Close()
	sums, err := release.ParseSums(f)
	if err != nil {
		return err
	}
	brew, err := release.Homebrew(version, sums)
	if err != nil {
		return err
	}
	scoop, err := release.Scoop(version, sums)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "pb.rb"), brew, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "pb.json"), scoop, 0o644)
}

func write(path string, stdout io.Writer, b []byte) error {
	if path == "" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
