package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/config"
)

// daemonClient asks the running daemon's API for what only it knows (live
// speeds, its state). The address comes from the config's [api] host and
// port; the bearer token from the data directory when there is one (it is
// required when the API is bound beyond loopback).
type daemonClient struct {
	base  string
	addr  string
	token string
	hc    *http.Client
}

func newDaemonClient(cfg config.Config) *daemonClient {
	c := &daemonClient{addr: apiAddr(cfg), hc: &http.Client{}}
	c.base = "http://" + c.addr
	if cfg.API.TLSCert != "" {
		c.base = "https://" + c.addr
		c.hc.Transport = pinnedTransport(cfg.API.TLSCert)
	}
	if tok, err := os.ReadFile(filepath.Join(cfg.DataDir, api.TokenFile)); err == nil {
		c.token = strings.TrimSpace(string(tok))
	}
	return c
}

func (c *daemonClient) request(ctx context.Context, path string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// post sends an empty POST to path; errNoDaemon when nothing listens (or
// something that is not pb answers 404).
func (c *daemonClient) post(ctx context.Context, path string, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return nil, errNoDaemon
		}
		return nil, fmt.Errorf("ask the daemon at %s: %w", c.addr, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		cancel()
		return nil, errNoDaemon
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// pinnedTransport talks HTTPS to the daemon, accepting exactly the
// certificate in certFile (the daemon's own [api] tls_cert): the CLI
// dials an address the certificate may not name (127.0.0.1), so the name
// is not checked, the certificate itself is.
func pinnedTransport(certFile string) *http.Transport {
	var want []byte
	if b, err := os.ReadFile(certFile); err == nil {
		if blk, _ := pem.Decode(b); blk != nil {
			want = blk.Bytes
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || want == nil || !bytes.Equal(cs.PeerCertificates[0].Raw, want) {
				return fmt.Errorf("the daemon's certificate is not the one in [api] tls_cert (%s)", certFile)
			}
			return nil
		},
	}
	return t
}

// cancelOnClose ends a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// notRunning is the error when nothing answers.
func (c *daemonClient) notRunning() error {
	return fmt.Errorf("the PacketBuddy daemon is not running (nothing answers at %s): start it with \"pb serve\" or \"pb service start\"", c.addr)
}

// getJSON fetches path within timeout and decodes it.
func (c *daemonClient) getJSON(ctx context.Context, path string, timeout time.Duration, v any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := c.request(ctx, path)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.notRunning()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return apiError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("the daemon at %s answered %s with something that is not its JSON: %w", c.addr, path, err)
	}
	return nil
}

func apiError(resp *http.Response) error {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("the daemon refused the request (401): the API token in the data directory (%s) does not match; pass the daemon's --data-dir", api.TokenFile)
	}
	if e.Error == "" {
		e.Error = resp.Status
	}
	return fmt.Errorf("the daemon answered %d: %s", resp.StatusCode, e.Error)
}

// pending fetches the daemon's unwritten traffic (GET /api/pending) within
// timeout.
func (c *daemonClient) pending(ctx context.Context, timeout time.Duration) (api.PendingSet, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := c.request(ctx, "/api/pending")
	if err != nil {
		return api.PendingSet{}, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return api.PendingSet{}, c.notRunning()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return api.PendingSet{}, apiError(resp)
	}
	return api.DecodePending(io.LimitReader(resp.Body, 64<<20))
}
