package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

const (
	ctJSON = "application/json; charset=utf-8"
	ctText = "text/plain; charset=utf-8"
)

// marshal renders v as the API's JSON: no HTML escaping (the API serves
// application/json, never HTML, and clients compare strings such as
// "₹1,234.56"), one trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return b.Bytes(), nil
}

// writeJSON renders v and writes it with status 200.
func writeJSON(w http.ResponseWriter, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}

// writeBody writes a complete 200 response. Headers are set on the map
// directly (keys already canonical): this is the hot path of /api/today.
func writeBody(w http.ResponseWriter, contentType string, b []byte) {
	h := w.Header()
	if contentType == ctJSON {
		h["Content-Type"] = hContentJSON
	} else {
		h["Content-Type"] = []string{contentType}
	}
	h["Cache-Control"] = hNoStore
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// attachment marks a response as a download named name.
func attachment(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
}

// writeBytes writes an encoded JSON document, or returns the encoding error.
func writeBytes(w http.ResponseWriter, b []byte, err error) error {
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}
