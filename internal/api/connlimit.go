package api

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// limitListener bounds the connections the server holds. Each one costs a
// goroutine and its buffers (about 20-30 KB), so 10,000 idle keep-alive
// connections once took the daemon from 25 to 235 MB. At the limit, a new
// connection takes the place of an idle keep-alive one (closing an idle
// connection is always allowed in HTTP/1.1: clients open a new one), and
// when every held connection is busy or has yet to send its request, the
// new one is closed at once. Waiting instead (as x/net/netutil's
// LimitListener does) would let a client that keeps connections open
// lock the dashboard out until its idle timeout.
type limitListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	held map[net.Conn]http.ConnState // every accepted, not yet closed connection

	evicted atomic.Uint64 // idle connections closed to make room
	refused atomic.Uint64 // new connections closed at once

	// drained, if set, is called (in its own goroutine) when a burst of at
	// least drainAt connections is down to an eighth of that (the
	// dashboard's stream may stay open): after a burst, the memory
	// its goroutines and buffers used can go back to the OS at once
	// instead of at the runtime's pace (minutes).
	drained  func()
	drainAt  int
	burstTop int // most connections held since the last drain
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, max: max, held: make(map[net.Conn]http.ConnState, max)}
}

// Accept returns the next connection that fits under the limit.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		victim, ok := l.admit(c)
		if victim != nil {
			victim.Close()
			l.evicted.Add(1)
		}
		if ok {
			return c, nil
		}
		c.Close()
		l.refused.Add(1)
	}
}

// admit records c if there is room, or makes room by picking an idle
// connection for the caller to close; ok is false when there is none.
func (l *limitListener) admit(c net.Conn) (victim net.Conn, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.held) >= l.max {
		for h, st := range l.held {
			if st == http.StateIdle {
				victim = h
				break
			}
		}
		if victim == nil {
			return nil, false
		}
		delete(l.held, victim)
	}
	l.held[c] = http.StateNew
	l.burstTop = max(l.burstTop, len(l.held))
	return victim, true
}

// connState is the http.Server's ConnState hook: it follows each
// connection's state and forgets closed ones.
func (l *limitListener) connState(c net.Conn, st http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok { // HTTPS: the server sees the TLS wrapper
		c = tc.NetConn()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(l.held, c)
		if len(l.held) <= l.drainAt/8 && l.drained != nil && l.burstTop >= l.drainAt {
			l.burstTop = 0
			go l.drained()
		}
	default:
		if _, ok := l.held[c]; ok { // not an evicted one on its way out
			l.held[c] = st
		}
	}
}

// open is how many connections are held now.
func (l *limitListener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// idle is how many held connections are idle keep-alive ones.
func (l *limitListener) idle() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, st := range l.held {
		if st == http.StateIdle {
			n++
		}
	}
	return n
}
