package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	msg := filepath.Join(dir, "SHA256SUMS")
	if err := os.WriteFile(msg, []byte("abc  pb_1.0.0_linux_amd64.tar.gz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, args := range [][]string{
		{"keygen", "-o", key},
		{"sign", "-key", key, msg},
		{"verify", "-pub", key + ".pub", msg},
	} {
		if err := run(args, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v", fi.Mode())
	}
	if err := run([]string{"keygen", "-o", key}, &out); err == nil {
		t.Error("keygen overwrote an existing key")
	}
	// The base64 key on the command line works like the file.
	var pub bytes.Buffer
	if err := run([]string{"pubkey", "-key", key}, &pub); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"verify", "-pub", strings.TrimSpace(pub.String()), msg}, &out); err != nil {
		t.Fatal(err)
	}
	var pemOut bytes.Buffer
	if err := run([]string{"pem", "-pub", key + ".pub"}, &pemOut); err != nil || !strings.HasPrefix(pemOut.String(), "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA") {
		t.Fatalf("pem: %q %v", pemOut.String(), err)
	}
	// A changed message fails.
	os.WriteFile(msg, []byte("abd  pb_1.0.0_linux_amd64.tar.gz\n"), 0o644)
	if err := run([]string{"verify", "-pub", key + ".pub", msg}, &out); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("tampered message: %v", err)
	}
}
