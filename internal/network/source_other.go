//go:build !linux && !darwin && !windows

package network

import (
	"log/slog"

	"github.com/packetbuddy/pb/internal/usage"
)

// Source tells the network of each interface; on this OS it knows none, so
// all traffic is on the unknown network.
type Source struct{}

// NewSource returns a source that identifies nothing.
func NewSource(*slog.Logger) *Source { return &Source{} }

// Attached returns no attachments.
func (*Source) Attached() map[string]usage.Attachment { return nil }

// Close does nothing.
func (*Source) Close() error { return nil }
