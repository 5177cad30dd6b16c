package cli

import (
	"log/slog"

	"github.com/packetbuddy/pb/internal/config"
)

// logLegacy says once, at the daemon's start, that the config file is in
// PacketBuddy 1.x's format, then what became of each 1.x key: a user who
// upgraded in place sees that the old file was understood, and how.
func logLegacy(log *slog.Logger, cfg config.Config) {
	if !cfg.Is1x() {
		return
	}
	log.Warn(`the config file is in PacketBuddy 1.x's format: pb reads it; "pb config migrate" rewrites it in pb's format`,
		"file", cfg.Path, "1x_keys", len(cfg.Legacy))
	for _, n := range cfg.Legacy {
		log.Info("1.x setting", "line", n.Line, "key", n.Key, "does", n.Msg)
	}
}
