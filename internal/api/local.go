package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
)

// StorageJSON is GET /api/storage's body, for the CLI's "pb storage",
// which reads the database without a daemon.
func (s *Server) StorageJSON(ctx context.Context) ([]byte, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/api/storage", nil)
	if err != nil {
		return nil, err
	}
	w := &bodyWriter{h: http.Header{}}
	if err := s.handleStorage(w, r); err != nil {
		return nil, err
	}
	if w.code != http.StatusOK {
		return nil, fmt.Errorf("storage report: status %d", w.code)
	}
	return w.b.Bytes(), nil
}

// bodyWriter keeps a handler's answer in memory.
type bodyWriter struct {
	h    http.Header
	b    bytes.Buffer
	code int
}

func (w *bodyWriter) Header() http.Header { return w.h }
func (w *bodyWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.b.Write(p)
}
func (w *bodyWriter) WriteHeader(code int) { w.code = code }
