package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/store"
)

// TestDamagedDatabaseAnswer: a damaged database is a 503 that names the
// real database file in what to do, not a bare file name.
func TestDamagedDatabaseAnswer(t *testing.T) {
	f := newFixture(t, true)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/today", nil)
	f.srv.writeError(rec, req, fmt.Errorf("query today: %w", store.ErrDamaged))
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	path := f.store.Path()
	want := "The database is damaged: " + store.DamagedAdvice(path) + "."
	if rec.Code != http.StatusServiceUnavailable || body.Error != want {
		t.Fatalf("%d %q\nwant 503 %q", rec.Code, body.Error, want)
	}
	if want2 := "(mv " + path + " " + path + ".damaged)"; !strings.Contains(body.Error, want2) {
		t.Fatalf("answer %q does not name the file %s", body.Error, path)
	}
}
