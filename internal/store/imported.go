package store

import (
	"context"
	"fmt"
	"strings"
)

// keyImportedPrefix prefixes the state keys that remember which PacketBuddy
// 1.x device an imported interface holds: "import.1x:<interface>" = device
// id. A later import of the same database (a backup copy, one without the
// device_id file) finds its devices by them, whatever names it would give.
const keyImportedPrefix = "import.1x:"

// ImportedDevices returns, per imported interface, the 1.x device id whose
// traffic it holds.
func (s *Store) ImportedDevices(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM state WHERE key >= ? AND key < ?`, keyImportedPrefix, keyImportedPrefix+"\U0010FFFF")
	if err != nil {
		return nil, fmt.Errorf("store: imported devices: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: imported devices: %w", err)
		}
		out[strings.TrimPrefix(k, keyImportedPrefix)] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: imported devices: %w", err)
	}
	return out, nil
}

// SetImportedDevice records that iface holds the traffic of the 1.x device
// id.
func (s *Store) SetImportedDevice(ctx context.Context, iface, id string) error {
	if s.w == nil {
		return fmt.Errorf("store: imported device: %w", ErrReadOnly)
	}
	if err := putState(ctx, s.w, keyImportedPrefix+iface, id); err != nil {
		return fmt.Errorf("store: imported device: %w", err)
	}
	return nil
}
