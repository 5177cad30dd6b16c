package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store"
)

// TestSessionsSurviveReopen: sessions are kept by hash across a reopen,
// touched, listed without the expired ones (which are deleted), and deleted
// one by one or all at once.
func TestSessionsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	t0 := utc(2026, 3, 1, 12, 0)
	c := newClock(t0)
	s, path := mustOpen(t, c)
	h1 := sha256.Sum256([]byte("secret-one"))
	h2 := sha256.Sum256([]byte("secret-two"))
	h3 := sha256.Sum256([]byte("secret-three"))
	for _, ss := range []store.Session{
		{ID: "a1", Hash: h1[:], Name: "Android phone", Created: t0, LastSeen: t0, Expires: t0.Add(90 * 24 * time.Hour)},
		{ID: "b2", Hash: h2[:], Name: "iPhone", Created: t0.Add(time.Minute), LastSeen: t0.Add(time.Minute), Expires: t0.Add(time.Hour)},
		{ID: "c3", Hash: h3[:], Name: "tablet", Created: t0.Add(2 * time.Minute), LastSeen: t0.Add(2 * time.Minute), Expires: t0.Add(90 * 24 * time.Hour)},
	} {
		if err := s.AddSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddSession(ctx, store.Session{ID: "dup", Hash: h1[:], Created: t0, LastSeen: t0, Expires: t0.Add(time.Hour)}); err == nil {
		t.Error("a second session with the same hash was accepted")
	}
	if err := s.TouchSession(ctx, "a1", t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpenPath(t, path, store.Options{Now: c.Now})
	got, err := s.Sessions(ctx, t0.Add(2*time.Hour)) // b2 has expired
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "a1" || got[1].ID != "c3" {
		t.Fatalf("sessions after reopen: %+v", got)
	}
	if !bytes.Equal(got[0].Hash, h1[:]) || got[0].Name != "Android phone" || !got[0].LastSeen.Equal(t0.Add(30*time.Minute)) ||
		!got[0].Created.Equal(t0) || !got[0].Expires.Equal(t0.Add(90*24*time.Hour)) {
		t.Errorf("session a1: %+v", got[0])
	}
	// The expired one was deleted, not only hidden.
	if all, _ := s.Sessions(ctx, t0); len(all) != 2 {
		t.Errorf("expired session still stored: %d sessions at t0", len(all))
	}
	if n, err := s.DeleteSessions(ctx, "a1", "nope"); err != nil || n != 1 {
		t.Fatalf("delete a1: %d, %v", n, err)
	}
	if err := s.AddSession(ctx, store.Session{ID: "d4", Hash: h2[:], Created: t0, LastSeen: t0, Expires: t0.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteSessions(ctx); err != nil || n != 2 {
		t.Fatalf("delete all: %d, %v", n, err)
	}
	if left, _ := s.Sessions(ctx, t0); len(left) != 0 {
		t.Errorf("sessions left after deleting all: %+v", left)
	}
}
