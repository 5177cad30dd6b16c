// Package layers holds no code: its test states which packages may depend
// on which, and fails the build's tests when a change breaks a rule.
//
//   - plan is pure, and store and sync (the SQL adapters) reach neither an
//     HTTP client nor a process runner through any package of ours; the
//     one os/exec below them is the SQLite driver's C library translation
//     (modernc.org/libc), which implements system() and popen().
//   - The test helpers (golden, chromium, logbuf, pgtest, netlab) are
//     imported by tests only, never by the pb binary.
//
// The rules are checked on every release target's GOOS, since a file for
// one system can import what the others do not.
package layers
