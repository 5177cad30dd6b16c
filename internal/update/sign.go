package update

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Release signing. A release's SHA256SUMS file (sha256sum format) is
// signed with ed25519 as is; SHA256SUMS.sig holds the 64-byte signature
// in standard base64 on one line. Keys are files of one base64 line (lines
// starting with "#" are comments): the public key is its 32 bytes, the
// private key the 64-byte ed25519 private key or its 32-byte seed.

// PublicKey is the release key built into pb, in base64, set by the
// release build with
//
//	-ldflags "-X github.com/packetbuddy/pb/internal/update.PublicKey=<base64>"
//
// A build without it (go build, go run) cannot verify releases and
// refuses to update itself.
var PublicKey = ""

// Errors of verification.
var (
	// ErrNoKey: this build carries no release public key.
	ErrNoKey = errors.New("this build of pb has no release key, so it cannot verify an update; install a release build")
	// ErrBadSignature: SHA256SUMS is not signed by the release key.
	ErrBadSignature = errors.New("the release's SHA256SUMS signature does not verify against pb's release key")
	// ErrChecksum: a download does not match SHA256SUMS.
	ErrChecksum = errors.New("checksum mismatch")
)

// keyLine returns the first line of a key or signature file that is not
// blank or a comment.
func keyLine(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			return line
		}
	}
	return ""
}

// ParsePublicKey reads a public key: a file's content or the bare base64.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(keyLine(data))
	if err != nil {
		return nil, fmt.Errorf("public key: not base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key: %d bytes, want %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// ParsePrivateKey reads a private key file: a 64-byte key or 32-byte seed
// in base64.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	raw, err := base64.StdEncoding.DecodeString(keyLine(data))
	if err != nil {
		return nil, errors.New("private key: not base64") // never echo key material
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		k := ed25519.PrivateKey(raw)
		// The stored public half must match the seed, or signatures would
		// verify against a key nobody published.
		if !bytes.Equal(ed25519.NewKeyFromSeed(k.Seed()), k) {
			return nil, errors.New("private key: public half does not match the seed")
		}
		return k, nil
	}
	return nil, fmt.Errorf("private key: %d bytes, want %d or %d", len(raw), ed25519.SeedSize, ed25519.PrivateKeySize)
}

// EncodeKey renders a key or signature as its one-line file form.
func EncodeKey(b []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(b) + "\n")
}

// Sign signs msg (the SHA256SUMS bytes) and returns the .sig file content.
func Sign(key ed25519.PrivateKey, msg []byte) []byte {
	return EncodeKey(ed25519.Sign(key, msg))
}

// Verify checks a .sig file (base64, or the raw 64 bytes) against msg.
func Verify(pub ed25519.PublicKey, msg, sig []byte) error {
	raw := sig
	if len(sig) != ed25519.SignatureSize {
		var err error
		if raw, err = base64.StdEncoding.DecodeString(keyLine(sig)); err != nil {
			return fmt.Errorf("%w (the signature is not base64)", ErrBadSignature)
		}
	}
	if len(raw) != ed25519.SignatureSize || !ed25519.Verify(pub, msg, raw) {
		return ErrBadSignature
	}
	return nil
}

// ParseSums reads a sha256sum file ("<64 hex>  <name>" per line; a "*"
// before the name marks binary mode) into name → digest.
func ParseSums(data []byte) (map[string][32]byte, error) {
	sums := map[string][32]byte{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		digest, name, ok := strings.Cut(line, " ")
		if !ok || len(digest) != 64 {
			return nil, fmt.Errorf("SHA256SUMS line %d: not \"<sha256>  <file>\"", n)
		}
		name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
		var d [32]byte
		if _, err := hex.Decode(d[:], []byte(digest)); err != nil {
			return nil, fmt.Errorf("SHA256SUMS line %d: %w", n, err)
		}
		if _, dup := sums[name]; dup {
			return nil, fmt.Errorf("SHA256SUMS line %d: %s listed twice", n, name)
		}
		sums[name] = d
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("SHA256SUMS: %w", err)
	}
	return sums, nil
}
