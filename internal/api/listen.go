package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
)

// listen opens the server's listener. "localhost" means both loopback
// addresses: browsers try ::1 first for localhost, and a server on
// 127.0.0.1 alone makes them wait for that attempt to fail. Without IPv6
// on the machine, 127.0.0.1 alone is used (and logged).
func listen(addr string, log *slog.Logger) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("api: listen address %q: %w", addr, err)
	}
	if !strings.EqualFold(host, "localhost") {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("api: listen on %s: %w", addr, err)
		}
		return ln, nil
	}
	// Port 0: the free port found on 127.0.0.1 may be taken on ::1; try a
	// few times before giving up.
	for attempt := 0; ; attempt++ {
		v4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			return nil, fmt.Errorf("api: listen on %s (localhost): %w", net.JoinHostPort("127.0.0.1", port), err)
		}
		p := strconv.Itoa(v4.Addr().(*net.TCPAddr).Port)
		v6, err := net.Listen("tcp", net.JoinHostPort("::1", p))
		if err == nil {
			return newMultiListener(v4, v6), nil
		}
		probe, perr := net.Listen("tcp", "[::1]:0")
		if perr != nil {
			log.Warn("IPv6 loopback unavailable: listening on 127.0.0.1 only for localhost", "err", err)
			return v4, nil
		}
		probe.Close()
		v4.Close()
		if port != "0" || attempt == 4 {
			return nil, fmt.Errorf("api: listen on [::1]:%s (localhost): %w", p, err)
		}
	}
}

// multiListener accepts from several listeners as one, so the server, its
// connection limit and Close work as with a single address.
type multiListener struct {
	lns   []net.Listener
	conns chan acceptResult
	done  chan struct{}
	once  sync.Once
}

type acceptResult struct {
	c   net.Conn
	err error
}

func newMultiListener(lns ...net.Listener) *multiListener {
	m := &multiListener{lns: lns, conns: make(chan acceptResult), done: make(chan struct{})}
	for _, ln := range lns {
		go m.accept(ln)
	}
	return m
}

func (m *multiListener) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		select {
		case m.conns <- acceptResult{c, err}:
		case <-m.done:
			if c != nil {
				c.Close()
			}
			return
		}
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return // closed, or failing for good: Serve sees the error
			}
		}
	}
}

func (m *multiListener) Accept() (net.Conn, error) {
	select {
	case r := <-m.conns:
		return r.c, r.err
	case <-m.done:
		return nil, net.ErrClosed
	}
}

func (m *multiListener) Close() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		for _, ln := range m.lns {
			err = errors.Join(err, ln.Close())
		}
	})
	return err
}

// Addr is the first address (127.0.0.1's).
func (m *multiListener) Addr() net.Addr { return m.lns[0].Addr() }
