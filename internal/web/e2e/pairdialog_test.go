package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/api"
)

// TestPairDialog: the dashboard opened on this computer has "Pair a phone";
// its dialog shows a QR code and a code that pairs a browser, lists the
// paired browsers, and revokes one with its button.
// phoneUA is the phone the browser says it is.
const phoneUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"

func TestPairDialog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	st := tempStore(ctx, t)
	srv := openServer(t, st, nil, loc, "127.0.0.1:0", func(d *api.Deps) {
		d.Token = "e2e-19-dialog-token-0123456789"
		d.Sessions = st
	})
	p, _ := newTab(ctx, t)
	p.navigate(ctx, srv.base+"/dashboard/")
	p.waitTrue(ctx, "the Pair a phone button", `document.getElementById('pair-open') !== null`)
	p.mustEval(ctx, `document.getElementById('pair-open').click()`, nil)
	p.waitTrue(ctx, "a code in the dialog", `document.getElementById('pair-dialog').open && document.getElementById('pair-code-shown') !== null && document.querySelector('#pair-qr img').naturalWidth === 256`)
	var shown struct{ Code, Href, Note string }
	p.mustEval(ctx, `({ Code: document.getElementById('pair-code-shown').textContent, Href: document.querySelector('#pair-qr a').href, Note: document.getElementById('pair-note').textContent })`, &shown)
	if !regexp.MustCompile(`^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`).MatchString(shown.Code) || !strings.HasSuffix(shown.Href, "/dashboard/pair.html#"+shown.Code) ||
		!strings.Contains(shown.Note, "5 minutes") {
		t.Fatalf("dialog: %+v", shown)
	}
	// A phone claims the dialog's code.
	r, _ := http.NewRequest("POST", srv.base+"/api/pair/claim", strings.NewReader(`{"code":"`+shown.Code+`"}`))
	r.Header.Set("User-Agent", phoneUA)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var sess struct{ ID string }
	if resp.StatusCode != 200 || json.Unmarshal(b, &sess) != nil {
		t.Fatalf("claim: %d %s", resp.StatusCode, b)
	}
	// Reopen: the phone is listed with a Revoke button.
	p.mustEval(ctx, `document.getElementById('pair-close').click(); document.getElementById('pair-open').click()`, nil)
	p.waitTrue(ctx, "the phone in the list", `document.querySelector('#sessions-list li[data-session="`+sess.ID+`"]') !== null`)
	var item string
	p.mustEval(ctx, `document.querySelector('#sessions-list li[data-session="`+sess.ID+`"]').textContent`, &item)
	if !strings.HasPrefix(item, "Android · Chrome") || !strings.HasSuffix(item, "Revoke") {
		t.Errorf("list item %q", item)
	}
	p.mustEval(ctx, `document.querySelector('button[data-session="`+sess.ID+`"]').click()`, nil)
	p.waitTrue(ctx, "the phone revoked", `document.querySelector('#sessions-list li[data-session]') === null && /No paired browsers/.test(document.getElementById('sessions-list').textContent)`)
	if left, err := st.Sessions(ctx, time.Now()); err != nil || len(left) != 0 {
		t.Errorf("sessions left: %+v, %v", left, err)
	}
}
