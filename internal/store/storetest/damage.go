package storetest

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/packetbuddy/pb/internal/sqlite" // the "sqlite" driver, for Damage and Generate
)

// Damage overwrites the root page of table in the PacketBuddy database at
// path with garbage, as a failing disk or a torn write would, after moving
// everything from the WAL into the file. It returns the page number. The
// database must not be open elsewhere. (This is the one place here that
// knows SQLite's file format: a damaged file cannot be made through the
// store's API.)
func Damage(path, table string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return 0, err
	}
	var pageSize, root int64
	err = db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(new(int), new(int), new(int))
	if err == nil {
		err = db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	}
	if err == nil {
		err = db.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&root)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("damage %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	garbage := make([]byte, pageSize)
	for i := range garbage {
		garbage[i] = byte(0xA5 ^ i)
	}
	if _, err := f.WriteAt(garbage, (root-1)*pageSize); err != nil {
		f.Close()
		return 0, err
	}
	return root, f.Close()
}
