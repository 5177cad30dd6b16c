// Package report renders PacketBuddy's reports: the self-contained HTML
// report (inline CSS and inline SVG charts, no script, made to print), the
// Markdown report with the same sections, and, through the API's built-in
// renderer, the TOON text for language-model prompts. The numbers are computed once by the
// API (api.ReportData); a Renderer only lays them out, so the API's
// /api/export* downloads and "pb export" write the same bytes.
//
// Every value is escaped for its format: html/template for HTML, backslash
// escapes for Markdown and TOON quoting for the LLM text.
package report

import (
	"fmt"
	"io"

	"github.com/packetbuddy/pb/internal/api"
)

// Renderer is an api.Reporter with the full HTML report. Pass it as
// api.Deps.Reporter.
type Renderer struct{}

var _ api.Reporter = Renderer{}

// basic renders TOON (the API's own renderer, whose quoting the API's
// tests cover).
var basic = api.BasicReporter()

// Render writes d in format (api.FormatHTML, api.FormatMarkdown or
// api.FormatTOON).
func (Renderer) Render(w io.Writer, format string, d *api.ReportData) error {
	switch format {
	case api.FormatHTML:
		return renderHTML(w, d)
	case api.FormatMarkdown:
		return renderMarkdown(w, d)
	case api.FormatTOON:
		return basic.Render(w, format, d)
	}
	return fmt.Errorf("report format %q is not supported", format)
}

// Personality names a traffic profile from the upload/download ratio
// (transmitted / received), as the Python version did: < 0.3 Streamer,
// < 0.6 Browsing, < 1.0 Creator, else Power User.
func Personality(ratio float64) string {
	switch {
	case ratio < 0.3:
		return "Streamer"
	case ratio < 0.6:
		return "Browsing"
	case ratio < 1.0:
		return "Creator"
	}
	return "Power User"
}

// personalityNote explains a personality in one sentence.
func personalityNote(p string) string {
	switch p {
	case "Streamer":
		return "You mostly download: video, music and big updates flow in, little goes out."
	case "Browsing":
		return "A reader's mix: pages and media come in, some uploads go out."
	case "Creator":
		return "You send a lot back: uploads, backups, calls or sharing are a big part of your traffic."
	case "Power User":
		return "You upload as much as you download, or more: servers, sync or heavy sharing."
	}
	return "Not enough traffic yet to tell."
}
