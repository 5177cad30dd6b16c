// Command pbsign makes and checks the ed25519 signatures of PacketBuddy
// releases: the release script signs SHA256SUMS with it, and users (and
// scripts/verify-release.sh) verify downloads with it.
//
//	pbsign keygen -o release.key          writes release.key (0600) and release.key.pub
//	pbsign pubkey -key release.key        prints the public key (base64, for -ldflags)
//	pbsign sign   -key release.key FILE   writes FILE.sig
//	pbsign verify -pub KEY FILE [SIG]     checks FILE against SIG (default FILE.sig)
//	pbsign pem    -pub KEY                prints the public key as PEM, for openssl
//
// KEY is a public key file or the base64 key itself. Formats are those of
// github.com/packetbuddy/pb/internal/update, which checks the same
// signature before "pb update" installs anything.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/packetbuddy/pb/internal/update"
)

const usage = `Usage:
  pbsign keygen -o FILE               write a new key pair: FILE (private, 0600) and FILE.pub
  pbsign pubkey -key FILE             print the public key of a private key
  pbsign sign   -key FILE MESSAGE     write MESSAGE.sig
  pbsign verify -pub KEY MESSAGE [SIG]
                                      check MESSAGE against SIG (default MESSAGE.sig);
                                      KEY is a .pub file or the base64 key
  pbsign pem    -pub KEY              print the public key as PEM (for openssl pkeyutl -verify)
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(os.Stdout, usage)
			return
		}
		fmt.Fprintf(os.Stderr, "pbsign: %s\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("no command; pbsign -h lists them")
	}
	fs := flag.NewFlagSet("pbsign "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "key file to write (keygen)")
	keyFile := fs.String("key", "", "private key file (sign, pubkey)")
	pub := fs.String("pub", "", "public key file or base64 key (verify)")
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return flag.ErrHelp
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "keygen":
		if *out == "" || fs.NArg() != 0 {
			return errors.New("usage: pbsign keygen -o FILE")
		}
		return keygen(*out, stdout)
	case "pubkey":
		k, err := readPrivate(*keyFile)
		if err != nil {
			return err
		}
		_, err = stdout.Write(update.EncodeKey(k.Public().(ed25519.PublicKey)))
		return err
	case "pem":
		key, err := readPublic(*pub)
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKIXPublicKey(key)
		if err != nil {
			return err
		}
		return pem.Encode(stdout, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
	case "sign":
		if fs.NArg() != 1 {
			return errors.New("usage: pbsign sign -key FILE MESSAGE")
		}
		k, err := readPrivate(*keyFile)
		if err != nil {
			return err
		}
		msg, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		return os.WriteFile(fs.Arg(0)+".sig", update.Sign(k, msg), 0o644)
	case "verify":
		if *pub == "" || fs.NArg() < 1 || fs.NArg() > 2 {
			return errors.New("usage: pbsign verify -pub KEY MESSAGE [SIG]")
		}
		key, err := readPublic(*pub)
		if err != nil {
			return err
		}
		msg, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		sigPath := fs.Arg(0) + ".sig"
		if fs.NArg() == 2 {
			sigPath = fs.Arg(1)
		}
		sig, err := os.ReadFile(sigPath)
		if err != nil {
			return err
		}
		if err := update.Verify(key, msg, sig); err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "%s: signature OK\n", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("unknown command %q; pbsign -h lists them", args[0])
}

func keygen(path string, stdout io.Writer) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	// O_EXCL: never overwrite a release key by accident.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append([]byte("# PacketBuddy release signing key (ed25519). Keep it secret.\n"), update.EncodeKey(priv.Seed())...)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path+".pub", update.EncodeKey(pub), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (private, keep it secret) and %s.pub\n", path, path)
	return nil
}

func readPrivate(path string) (ed25519.PrivateKey, error) {
	if path == "" {
		return nil, errors.New("-key FILE is required")
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(os.Stderr, "pbsign: warning: %s is readable by others (mode %04o)\n", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := update.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func readPublic(s string) (ed25519.PublicKey, error) {
	if b, err := os.ReadFile(s); err == nil {
		k, err := update.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		return k, nil
	}
	return update.ParsePublicKey([]byte(s))
}
