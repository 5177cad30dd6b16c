package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes: every route of the table is in openapi.json with
// its method, and the document lists nothing that is not served.
func TestOpenAPICoversRoutes(t *testing.T) {
	f := newFixture(t, true)
	rec := do(t, f.srv.Handler(), "GET", "/api/openapi.json")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, rt := range f.srv.routes {
		p := strings.TrimSuffix(rt.path, "{$}")
		key := strings.ToLower(rt.method) + " " + p
		served[key] = true
		if _, ok := doc.Paths[p][strings.ToLower(rt.method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.method, rt.path)
		}
	}
	var extra []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if !served[m+" "+p] {
				extra = append(extra, m+" "+p)
			}
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("openapi.json documents routes that are not served: %v", extra)
	}
}
