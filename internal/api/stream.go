package api

import (
	"net/http"
	"time"
)

// Server-Sent Events limits. A stream costs a goroutine and a subscription;
// a browser tab keeps one open, so a small cap is plenty and keeps a runaway
// client from piling them up.
const (
	maxStreams = 32
	// streamWriteWindow is how long one event may take to write before the
	// stream is dropped (the client stopped reading).
	streamWriteWindow = 10 * time.Second
)

// heartbeat is how often an idle stream sends a comment line, so proxies
// and browsers keep it open and a dead client is noticed (a variable so
// tests can shorten it).
var heartbeat = 15 * time.Second

// handleStream is /api/live/stream: the /api/live object as an SSE "live"
// event after every poll, a comment line as heartbeat, until the client
// goes away or the server shuts down.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	if _, none := s.mon.(noMonitor); none {
		writeJSONError(w, http.StatusServiceUnavailable, "Live speeds are only available from the running daemon (pb serve).")
		return
	}
	s.streamsMu.Lock()
	if s.streams >= maxStreams {
		s.streamsMu.Unlock()
		w.Header().Set("Retry-After", "10")
		writeJSONError(w, http.StatusServiceUnavailable, "Too many live streams are open; close some dashboard tabs and retry.")
		return
	}
	s.streams++
	s.streamsMu.Unlock()
	defer func() {
		s.streamsMu.Lock()
		s.streams--
		s.streamsMu.Unlock()
	}()

	rc := http.NewResponseController(w)
	// The server's ReadTimeout would otherwise end the stream: the
	// connection's background read hits the deadline and cancels the
	// request. Not every ResponseWriter supports deadlines (recorders in
	// tests); then there is no deadline to lift.
	_ = rc.SetReadDeadline(time.Time{})

	ch, cancel := s.mon.Subscribe()
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell proxies not to buffer
	w.WriteHeader(http.StatusOK)

	send := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteWindow))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	event := func(name string) []byte {
		b, err := marshal(s.liveFrom(s.mon.Live()))
		if err != nil {
			return nil
		}
		// marshal ends with a newline; an SSE event ends with a blank line.
		return append(append([]byte("event: "+name+"\ndata: "), b...), '\n')
	}
	if !send(append([]byte("retry: 3000\n\n"), event("live")...)) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	// A paired browser's stream ends the moment its session is revoked.
	var revoked <-chan struct{}
	if ls := sessionOf(r); ls != nil {
		revoked = ls.done
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-revoked:
			send([]byte("event: close\ndata: {\"reason\":\"session revoked\"}\n\n"))
			return
		case <-s.done:
			send([]byte("event: close\ndata: {\"reason\":\"server shutting down\"}\n\n"))
			return
		case l, ok := <-ch:
			if !ok {
				return
			}
			b, err := marshal(s.liveFrom(l))
			if err != nil || !send(append(append([]byte("event: live\ndata: "), b...), '\n')) {
				return
			}
		case <-tick.C:
			if !send([]byte(": heartbeat\n\n")) {
				return
			}
		}
	}
}
