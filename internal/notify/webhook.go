package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
)

// WebhookFormat selects the request a Webhook sends.
type WebhookFormat string

// Webhook formats.
const (
	// FormatJSON posts a WebhookBody as application/json (the default).
	FormatJSON WebhookFormat = "json"
	// FormatNtfy posts the message as a plain-text body with Title, Tags and
	// Priority headers, as ntfy.sh topics expect.
	FormatNtfy WebhookFormat = "ntfy"
	// FormatSlack posts {"text": "..."}, which Slack, Mattermost and
	// Discord's /slack endpoints accept as an incoming webhook.
	FormatSlack WebhookFormat = "slack"
)

// WebhookBody is the documented JSON a FormatJSON webhook receives:
//
//	{"plan": "Home fibre", "kind": "threshold", "threshold": 80,
//	 "used_bytes": 80000000000, "cap_bytes": 100000000000, "percent": 80,
//	 "cycle_start": "2026-03-01T00:00:00+01:00", "cycle_end": "2026-04-01T00:00:00+02:00",
//	 "forecast_bytes": 120000000000, "title": "...", "message": "..."}
//
// kind is "threshold" or "forecast" (threshold is 0 for a forecast alert);
// times are RFC 3339 in the zone the cycle was computed in.
type WebhookBody struct {
	Plan          string         `json:"plan"`
	Kind          plan.AlertKind `json:"kind"`
	Threshold     int            `json:"threshold"`
	UsedBytes     uint64         `json:"used_bytes"`
	CapBytes      uint64         `json:"cap_bytes"`
	Percent       float64        `json:"percent"`
	CycleStart    time.Time      `json:"cycle_start"`
	CycleEnd      time.Time      `json:"cycle_end"`
	ForecastBytes uint64         `json:"forecast_bytes"`
	Title         string         `json:"title"`
	Message       string         `json:"message"`
}

// Webhook sends alerts as HTTP POSTs.
type Webhook struct {
	URL     string
	Format  WebhookFormat     // "" is FormatJSON
	Headers map[string]string // extra headers, e.g. Authorization for a private ntfy topic
	Client  *http.Client      // nil: a client with a 15 s timeout
}

// defaultClient bounds every attempt: a webhook that hangs must not hold the
// queue for ever.
var defaultClient = &http.Client{Timeout: 15 * time.Second}

// Deliver makes one POST. A non-2xx answer is an error; 4xx answers other
// than 408 and 429 are marked so Notifier does not retry them.
func (w *Webhook) Deliver(ctx context.Context, a plan.Alert) error {
	var body []byte
	var err error
	header := http.Header{}
	switch w.Format {
	case FormatNtfy:
		body = []byte(a.Message)
		header.Set("Content-Type", "text/plain; charset=utf-8")
		// ntfy decodes RFC 2047 headers, so plan names need not be ASCII.
		header.Set("Title", mime.QEncoding.Encode("utf-8", a.Title))
		tags, prio := "warning", "default"
		if a.Kind == plan.AlertThreshold && a.Threshold >= 100 {
			tags, prio = "rotating_light", "high"
		}
		header.Set("Tags", tags)
		header.Set("Priority", prio)
	case FormatSlack:
		body, err = json.Marshal(map[string]string{"text": "*" + a.Title + "*\n" + a.Message})
		header.Set("Content-Type", "application/json")
	case FormatJSON, "":
		body, err = json.Marshal(WebhookBody{
			Plan: a.Plan, Kind: a.Kind, Threshold: a.Threshold, UsedBytes: a.Used, CapBytes: a.Cap,
			Percent: a.Percent, CycleStart: a.CycleStart, CycleEnd: a.CycleEnd, ForecastBytes: a.Forecast,
			Title: a.Title, Message: a.Message,
		})
		header.Set("Content-Type", "application/json")
	default:
		return permanentError{fmt.Errorf("webhook: unknown format %q (use json, ntfy or slack)", w.Format)}
	}
	if err != nil {
		return permanentError{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return permanentError{fmt.Errorf("webhook: %w", err)}
	}
	req.Header = header
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "PacketBuddy")
	client := w.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// The URL may carry a secret token; *url.Error prints it, so say
		// only what went wrong.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("webhook: HTTP %s", resp.Status)
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return permanentError{err}
	}
	return err
}
