package api

import (
	"net/http"
	"slices"
	"strings"
)

// route is one entry of the route table.
type route struct {
	method string
	path   string
	h      http.Handler
	// public routes need no token: the dashboard's static files and the
	// API description hold no usage data.
	public bool
}

// routeTable lists every route. It is the one place to look; the OpenAPI
// document (openapi.json) must describe each /api/ and /metrics route, and a
// test checks that it does.
func (s *Server) routeTable() []route {
	h := s.handle
	return []route{
		{method: "GET", path: "/{$}", h: http.HandlerFunc(s.redirectDashboard), public: true},
		{method: "GET", path: "/dashboard/", h: s.dashboard(), public: true},
		{method: "GET", path: "/api/openapi.json", h: h(s.handleOpenAPI), public: true},
		{method: "GET", path: "/docs", h: http.RedirectHandler("/dashboard/docs.html", http.StatusFound), public: true},

		// v1 contract (api-contract.md).
		{method: "GET", path: "/api/health", h: h(s.handleHealth)},
		{method: "GET", path: "/api/live", h: h(s.handleLive)},
		{method: "GET", path: "/api/today", h: h(s.handleToday)},
		{method: "GET", path: "/api/cost", h: h(s.handleCost)},
		{method: "GET", path: "/api/month", h: h(s.handleMonth)},
		{method: "GET", path: "/api/range", h: h(s.handleRange)},
		{method: "GET", path: "/api/summary", h: h(s.handleSummary)},
		{method: "GET", path: "/api/export", h: h(s.handleExport)},
		{method: "GET", path: "/api/export/llm", h: h(s.handleExportLLM)},
		{method: "GET", path: "/api/export/wrapup", h: h(s.handleWrapup)},
		{method: "GET", path: "/api/exports/generate", h: h(s.handleGenerate)},
		{method: "GET", path: "/api/storage", h: h(s.handleStorage)},
		{method: "POST", path: "/api/storage/cleanup", h: h(s.handleCleanup)},

		// Extensions.
		{method: "GET", path: "/api/interfaces", h: h(s.handleInterfaces)},
		{method: "GET", path: "/api/dashboard", h: h(s.handleDashboard)},
		{method: "GET", path: "/api/hours", h: h(s.handleHours)},
		{method: "GET", path: "/api/days", h: h(s.handleDays)},
		{method: "GET", path: "/api/top", h: h(s.handleTop)},
		{method: "GET", path: "/api/apps", h: h(s.handleApps)},
		{method: "GET", path: "/api/apps/days", h: h(s.handleAppDays)},
		{method: "GET", path: "/api/networks", h: h(s.handleNetworks)},
		{method: "POST", path: "/api/networks/{action}", h: h(s.handleNetworkEdit)},
		{method: "GET", path: "/api/events", h: h(s.handleEvents)},
		{method: "GET", path: "/api/pending", h: h(s.handlePending)},
		{method: "GET", path: "/api/live/stream", h: http.HandlerFunc(s.handleStream)},
		{method: "GET", path: "/metrics", h: h(s.handleMetrics)},
		{method: "GET", path: "/api/plans", h: h(s.handlePlans)},
		{method: "GET", path: "/api/minutes", h: h(s.handleMinutes)},
		{method: "GET", path: "/api/trends", h: h(s.handleTrends)},
		{method: "GET", path: "/api/devices", h: h(s.handleDevices)},
		{method: "GET", path: "/api/fleet", h: h(s.handleFleet)},
		{method: "GET", path: "/api/fleet/days", h: h(s.handleFleetDays)},
		{method: "POST", path: "/api/sync", h: h(s.handleSyncNow)},

		// Pairing and sessions (sessions.go, pairing.go).
		{method: "POST", path: "/api/pair", h: h(s.handlePair)},
		{method: "POST", path: "/api/pair/claim", h: h(s.handleClaim), public: true},
		{method: "GET", path: "/api/sessions", h: h(s.handleSessions)},
		{method: "POST", path: "/api/sessions/revoke", h: h(s.handleRevoke)},
	}
}

// handle adapts a handler that returns an error to http.Handler; the error
// goes through writeError, the one error mapping.
func (s *Server) handle(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// mux registers the route table with Go 1.22 patterns, plus JSON answers
// for what ServeMux would answer in plain text: a method-less pattern per
// path answers 405 (with Allow), and catch-alls answer 404.
func (s *Server) mux() *http.ServeMux {
	mux := http.NewServeMux()
	methods := map[string][]string{}
	var paths []string
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.path, rt.h)
		if _, ok := methods[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	for _, p := range paths {
		ms := methods[p]
		if slices.Contains(ms, "GET") {
			ms = append(ms, "HEAD")
		}
		mux.Handle(p, methodNotAllowed(strings.Join(ms, ", ")))
	}
	mux.Handle("/", http.HandlerFunc(notFound))
	return mux
}

func methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeJSONError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here; use "+allow+".")
	})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	msg := "Not found; the dashboard is at /dashboard/ and the API reference at /docs."
	if strings.HasPrefix(r.URL.Path, "/api/") {
		msg = "Unknown API path; /api/openapi.json lists the endpoints."
	}
	writeHTTPError(w, r, http.StatusNotFound, msg)
}

// isPublic reports whether a path needs no token. It is decided on the raw
// path before routing; ServeMux redirects unclean paths (/dashboard/../api)
// to their clean form, which is then checked again.
func (s *Server) isPublic(path string) bool {
	return path == "/" || path == "/api/openapi.json" || path == "/docs" || path == "/api/pair/claim" || strings.HasPrefix(path, "/dashboard/") || path == "/dashboard"
}
