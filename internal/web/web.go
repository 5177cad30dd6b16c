// Package web holds PacketBuddy's dashboard: plain HTML, CSS and ES modules
// with no build step, and Chart.js vendored at a pinned version, all
// embedded in the binary so the page works with no internet connection.
//
// The API serves FS() under /dashboard/ (api.Deps.Dashboard). The page calls
// the API with relative URLs (../api/...), so it works on any host and port.
// It loads nothing from any other host and needs no inline script or style,
// so it runs under the strict Content-Security-Policy
//
//	default-src 'self'; img-src 'self' data:; style-src 'self'
//
// Layout of static/:
//
//	index.html, app.css       the page
//	js/app.js                 wiring and rendering (start reading here)
//	js/api.js                 the API calls and the live stream
//	js/plans.js               the data plan cards (/api/plans)
//	js/networks.js            the networks panel (/api/networks)
//	js/apps.js                the apps panel and an app's days (/api/apps, /api/apps/days)
//	js/charts.js              Chart.js set-up, themed from app.css
//	js/format.js              bytes like the API's human_readable; local dates
//	js/export.js              the export dialog
//	js/dom.js                 element helpers ($, h)
//	pair.html, js/pair.js     pairing a phone (pb pair) and the paired sessions
//	js/offline.js             the last numbers and their age while the daemon is unreachable
//	sw.js, manifest.webmanifest, icons/   installable app, offline shell
//	*.gz                      precompressed copies (go generate; served by internal/api)
//	vendor/<name>-<version>/  third-party files with licences (see vendor/README)
//
// The browser tests are in e2e/.
package web

//go:generate go run genicons.go
//go:generate go run gengz.go

import (
	"embed"
	"io/fs"
	"path"
)

//go:embed static
var static embed.FS

// FS returns the dashboard's files, index.html at the root.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is embedded above; this cannot fail
	}
	return sub
}

// Compressible reports whether a file gets a precomputed gzip variant
// (name.gz beside it, written by go generate): text formats big enough for
// compression to pay for the Content-Encoding and Vary headers.
func Compressible(name string, size int) bool {
	switch path.Ext(name) {
	case ".html", ".css", ".js", ".json", ".webmanifest", ".svg":
		return size >= 512
	}
	return false
}
