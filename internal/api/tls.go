package api

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// loadTLS reads the certificate and key for HTTPS ([api] tls_cert and
// tls_key). Neither: nil (plain HTTP). Each mistake gets its own sentence:
// one file without the other, a missing or unreadable file, a file that is
// not PEM, and a key that does not belong to the certificate. The key's
// bytes never appear in an error.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("api: TLS needs both [api] tls_cert and tls_key (PEM files); set both, or neither for plain HTTP")
	}
	certPEM, err := readTLSFile("tls_cert", "certificate", certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readTLSFile("tls_key", "private key", keyFile)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(certPEM), "-----BEGIN CERTIFICATE-----") {
		return nil, fmt.Errorf("api: tls_cert %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", certFile)
	}
	if !strings.Contains(string(keyPEM), "PRIVATE KEY-----") {
		return nil, fmt.Errorf("api: tls_key %s holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)", keyFile)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, fmt.Errorf("api: tls_key %s is not the private key of the certificate in tls_cert %s", keyFile, certFile)
		}
		return nil, fmt.Errorf("api: tls_cert %s and tls_key %s: %w", certFile, keyFile, err)
	}
	// HTTP/1.1 only: the live stream's per-write deadlines, the connection
	// limit and the idle timeouts are built for one request at a time per
	// connection; over HTTP/2 a write deadline resets an idle stream.
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}, nil
}

func readTLSFile(key, what, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("api: %s %s does not exist: give the path of the %s (PEM)", key, path, what)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("api: %s %s cannot be read by this user: let pb read it (chmod or chown)", key, path)
	case err != nil:
		return nil, fmt.Errorf("api: %s %s: %w", key, path, err)
	}
	return b, nil
}
