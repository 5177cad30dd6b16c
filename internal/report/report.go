// Package report renders PacketBuddy's reports from the query layer's
// numbers (query.Report): the self-contained HTML report (inline CSS and
// inline SVG charts, no script, made to print), the Markdown report with
// the same sections, and the TOON text for language-model prompts. It is
// the one renderer of each format: the API's /api/export* downloads and
// "pb export" / "pb report" write the same bytes.
//
// Every value is escaped for its format: html/template for HTML, backslash
// escapes for Markdown and TOON quoting for the LLM text.
package report

import (
	"fmt"
	"io"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
)

// Report formats.
const (
	FormatHTML     = "html"
	FormatMarkdown = "markdown"
	FormatTOON     = "toon" // also served as "llm"
)

// Render writes d in format (FormatHTML, FormatMarkdown or FormatTOON).
func Render(w io.Writer, format string, d *query.Report) error {
	switch format {
	case FormatHTML:
		return renderHTML(w, d)
	case FormatMarkdown:
		return renderMarkdown(w, d)
	case FormatTOON:
		return renderTOON(w, d)
	}
	return fmt.Errorf("report format %q is not supported", format)
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

// gbName is the unit a price is per: GB, or GiB with iec units.
func gbName(b units.Base) string {
	if b == units.IEC {
		return "GiB"
	}
	return "GB"
}
