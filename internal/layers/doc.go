// Package layers holds no code: its test states which packages may depend
// on which, and fails the build's tests when a change breaks a rule.
//
//   - plan and usage are pure, and store and sync (the SQL adapters) reach
//     neither net/http nor os/exec nor the SQLite driver: they open the
//     database by the driver's name, and the wiring layer (internal/cli)
//     registers the driver by importing internal/sqlite. The driver's C
//     library translation (modernc.org/libc) implements system() and
//     popen() with os/exec, so it stays outside the adapters.
//   - Only internal/sqlite imports modernc.org packages.
//   - The test helpers (golden, chromium, logbuf, pgtest, netlab) are
//     imported by tests only, never by the pb binary.
//
// The rules are checked on every release target's GOOS, since a file for
// one system can import what the others do not.
package layers
