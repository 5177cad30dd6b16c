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
//	js/charts.js              Chart.js set-up, themed from app.css
//	js/format.js              bytes like the API's human_readable; local dates
//	js/export.js              the export dialog
//	js/dom.js                 element helpers ($, h)
//	sw.js, manifest.webmanifest, icons/   installable app, offline shell
//	vendor/<name>-<version>/  third-party files with licences (see vendor/README)
//
// The browser tests are in e2e/.
package web

//go:generate go run genicons.go

import (
	"embed"
	"io/fs"
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
