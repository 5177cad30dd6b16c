package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// codedErr is a driver error as database/sql hands it on: a message and
// SQLite's extended result code.
type codedErr struct{ code int }

func (e codedErr) Error() string { return fmt.Sprintf("sqlite error %d", e.code) }
func (e codedErr) Code() int     { return e.code }

// TestSQLiteErrByPrimaryCode: errors are classified by the primary result
// code (the low 8 bits) of whatever driver error is in the chain.
func TestSQLiteErrByPrimaryCode(t *testing.T) {
	tests := []struct {
		code int
		want error
	}{
		{11, ErrDamaged},        // SQLITE_CORRUPT
		{11 | 1<<8, ErrDamaged}, // SQLITE_CORRUPT_VTAB
		{11 | 3<<8, ErrDamaged}, // SQLITE_CORRUPT_INDEX
		{26, ErrNotSQLite},      // SQLITE_NOTADB
		{5, nil},                // SQLITE_BUSY
		{10 | 11<<8, nil},       // SQLITE_IOERR_CORRUPTFS: an I/O error, not a damaged page
		{1, nil},                // SQLITE_ERROR
	}
	for _, tc := range tests {
		in := fmt.Errorf("query: %w", codedErr{tc.code})
		got := sqliteErr(in)
		if tc.want == nil {
			if got != in {
				t.Errorf("code %d: %v, want the error unchanged", tc.code, got)
			}
			continue
		}
		if !errors.Is(got, tc.want) || !strings.Contains(got.Error(), in.Error()) {
			t.Errorf("code %d: %v, want %v naming the driver's error", tc.code, got, tc.want)
		}
	}
	if got := sqliteErr(nil); got != nil {
		t.Errorf("nil: %v", got)
	}
	plain := errors.New("no code")
	if got := sqliteErr(plain); got != plain {
		t.Errorf("an error without a code: %v, want it unchanged", got)
	}
}
