//go:build linux

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/notify"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestServePlanAlertWebhook runs the real daemon with a plan already over
// its cap: the alert reaches the webhook (after one failed delivery, retried
// with backoff while the daemon keeps serving), lands in the history, and a
// restarted daemon does not send it again.
func TestServePlanAlertWebhook(t *testing.T) {
	var mu sync.Mutex
	var bodies []notify.WebhookBody
	var calls int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "down for a moment", http.StatusServiceUnavailable)
			return
		}
		var b notify.WebhookBody
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &b); err != nil || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook body %q (%s): %v", data, r.Header.Get("Content-Type"), err)
		}
		bodies = append(bodies, b)
	}))
	defer hook.Close()
	received := func() []notify.WebhookBody {
		mu.Lock()
		defer mu.Unlock()
		return append([]notify.WebhookBody(nil), bodies...)
	}

	dataDir := t.TempDir()
	cfg := fmt.Sprintf(`timezone = "UTC"

[alerts]
webhook_url = %q

[[plan]]
name = "Tiny"
cap = "1KB"
interfaces = ["seed0"]
thresholds = [50, 100]
`, hook.URL)
	if err := os.WriteFile(filepath.Join(dataDir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// 2 KB on an interface this machine does not have, so live traffic
	// cannot change the plan's numbers.
	st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Flush(context.Background(), usage.Batch{
		Interfaces: []usage.Interface{{Name: "seed0", Kind: "ethernet", Counted: true}},
		Deltas:     []usage.Delta{{Iface: "seed0", Bucket: time.Now().UTC().Truncate(time.Minute), Totals: usage.Totals{Rx: 1500, Tx: 500}}},
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	base, stop := startServe(t, dataDir)
	deadline := time.Now().Add(20 * time.Second) // first try fails, the retry comes ~2 s later
	for len(received()) == 0 && time.Now().Before(deadline) {
		checkAPI(t, base) // the daemon keeps answering while delivery is retried
		time.Sleep(100 * time.Millisecond)
	}
	got := received()
	if len(got) != 1 || got[0].Plan != "Tiny" || got[0].Kind != plan.AlertThreshold || got[0].Threshold != 100 ||
		got[0].UsedBytes != 2000 || got[0].CapBytes != 1000 {
		t.Fatalf("webhook received %+v, want one 100%% alert for Tiny with 2000 of 1000 bytes", got)
	}
	var plans struct {
		Plans []struct {
			Name          string `json:"name"`
			UsedBytes     uint64 `json:"used_bytes"`
			OverThreshold int    `json:"over_threshold"`
		} `json:"plans"`
		Alerts []struct {
			Plan      string `json:"plan"`
			Threshold int    `json:"threshold"`
		} `json:"alerts"`
	}
	getJSON(t, base+"/api/plans", &plans)
	if len(plans.Plans) != 1 || plans.Plans[0].UsedBytes != 2000 || plans.Plans[0].OverThreshold != 100 ||
		len(plans.Alerts) != 1 || plans.Alerts[0].Threshold != 100 {
		t.Fatalf("/api/plans: %+v", plans)
	}
	stop()

	// Restart: the alert fired this cycle already.
	base, stop = startServe(t, dataDir)
	time.Sleep(1500 * time.Millisecond) // the first check runs at start
	getJSON(t, base+"/api/plans", &plans)
	stop()
	if n := len(received()); n != 1 {
		t.Fatalf("after a restart the webhook got %d alerts, want still 1", n)
	}
	if len(plans.Alerts) != 1 {
		t.Fatalf("history after restart: %+v", plans.Alerts)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
