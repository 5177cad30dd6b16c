//go:build !linux

package api

// readProcStats: only Linux's /proc is read; elsewhere /metrics has the
// go_* families and process_start_time_seconds.
func readProcStats() procStats { return procStats{} }
