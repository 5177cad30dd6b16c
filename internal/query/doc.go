// Package query answers the questions PacketBuddy's front ends ask — today,
// a run of days, a month, the hours of a day, the years, lifetime, the
// busiest days, the interfaces, the event log, the data plans and the
// reports — as domain values (usage types and the small structs here).
// The API renders them to JSON, the CLI to tables and, through the API's
// own encoder, to the very same JSON, and internal/report to HTML, Markdown
// and LLM text.
//
// An Engine sits on two sources: the store (what was written) and a
// Pending source (what was counted but not yet written: the daemon's
// monitor in the daemon, the daemon's GET /api/pending in the CLI, nothing
// when no daemon runs). Every figure is stored + pending, so all front ends
// agree to the last poll.
//
// The dimension is a parameter: Deps.Scope selects the interfaces every
// answer covers (the counted ones by default). Apps (Engine.Apps) and
// networks (Engine.Networks, with a network filter) are answered here once
// for every front end; like per-app traffic, per-network traffic is what
// the daemon has written (nothing pending is kept per network).
//
// Caching: the stored part of a number changes only when the daemon
// flushes, so the stored parts of today, the current month and lifetime
// are kept under a key made of the local day and Deps.Generation (the
// monitor's start and last flush); the pending part is added on every
// call. Flush writes the store and only then drops the written deltas from
// the pending set and moves its last-flush time, so a stored part cached
// under the old key plus the pending set is exact until the key moves.
// Without a Generation (a short-lived reader) the key moves every second.
package query
