package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/packetbuddy/pb/internal/store"
)

// Error is an error with an HTTP status and a sentence meant for the user.
// Handlers return it for anything the client got wrong; every other error is
// an internal one, logged and shown as a generic 500.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// badRequest is a 400 with a sentence saying what was wrong.
func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func errorf(status int, format string, args ...any) error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// writeError is the one mapping from errors to responses: an *Error becomes
// its status and sentence; a cancelled request gets nothing (the client is
// gone); anything else is logged with "err" and answered with a 500 that
// tells nothing of the internals (paths, SQL, secrets).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
		writeJSONError(w, e.Status, e.Message)
	case errors.Is(err, store.ErrDamaged):
		s.log.Error("request failed: the database is damaged", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "The database is damaged: "+store.DamagedAdvice(s.store.Path())+".")
	case r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// The client went away or the server is shutting down: nobody
		// reads a body; 503 keeps access logs honest.
		writeJSONError(w, http.StatusServiceUnavailable, "The request was cancelled.")
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSONError(w, http.StatusInternalServerError, "Internal error: the request could not be completed; the daemon log has the details.")
	}
}

// writeJSONError writes {"error": msg} with status.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Disposition")
	w.WriteHeader(status)
	b, _ := json.Marshal(errorBody{Error: msg})
	_, _ = w.Write(append(b, '\n'))
}
