package e2e

// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe:
// Chromium reads commands from file descriptor 3 and writes answers and
// events to descriptor 4, each message JSON ended by a NUL byte. That needs
// no WebSocket and no dependency, and the browser dies with the pipe.
//
// Only what the dashboard test uses is here: commands with a session id
// (flattened targets), and an event log that tests search or wait on.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/chromium"
)

// cdpEvent is one protocol event.
type cdpEvent struct {
	Method    string          `json:"method"`
	SessionID string          `json:"sessionId"`
	Params    json.RawMessage `json:"params"`
}

type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type browser struct {
	cmd    *exec.Cmd
	out    io.WriteCloser
	stderr *bytes.Buffer

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpMessage
	events  []cdpEvent
	notify  chan struct{} // closed and replaced on every event
	onEvent []func(cdpEvent)
	closed  error
}

// chromiumFlags are the flags the brief asks for, plus the pipe.
func chromiumFlags(userDataDir string) []string {
	return []string{
		"--headless",
		"--no-sandbox", // tests run as root in CI
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-extensions",
		"--disable-features=Translate,MediaRouter,OptimizationHints",
		"--hide-scrollbars",
		"--mute-audio",
		"--user-data-dir=" + userDataDir,
		"--remote-debugging-pipe",
		"about:blank",
	}
}

// startBrowser starts Chromium with chromiumFlags and any extra flags.
func startBrowser(t *testing.T, extra ...string) *browser {
	t.Helper()
	exe := chromium.Find(t)
	dir := t.TempDir()
	// Commands go to the browser's fd 3, answers come from its fd 4.
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append(chromiumFlags(filepath.Join(dir, "profile")), extra...)...)
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), "HOME="+dir) // keep the real home untouched
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	cmdR.Close()
	outW.Close()
	b := &browser{cmd: cmd, out: cmdW, stderr: stderr, pending: map[int64]chan cdpMessage{}, notify: make(chan struct{})}
	go b.readLoop(outR)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.call(ctx, "", "Browser.close", nil, nil)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		cmdW.Close()
	})
	return b
}

func (b *browser) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	var err error
	for {
		var raw []byte
		raw, err = br.ReadBytes(0)
		if err != nil {
			break
		}
		if os.Getenv("PB_CDP_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "<- %.300s\n", raw)
		}
		var m cdpMessage
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				delete(b.pending, m.ID)
				ch <- m
			}
			b.mu.Unlock()
			continue
		}
		ev := cdpEvent{Method: m.Method, SessionID: m.SessionID, Params: m.Params}
		b.events = append(b.events, ev)
		close(b.notify)
		b.notify = make(chan struct{})
		hooks := append([]func(cdpEvent){}, b.onEvent...)
		b.mu.Unlock()
		for _, h := range hooks {
			h(ev)
		}
	}
	b.mu.Lock()
	b.closed = fmt.Errorf("browser pipe closed: %v", err)
	for id, ch := range b.pending {
		delete(b.pending, id)
		close(ch)
	}
	b.mu.Unlock()
}

// call sends a command and decodes its result into result (may be nil).
func (b *browser) call(ctx context.Context, session, method string, params, result any) error {
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	if params == nil {
		p = []byte("{}")
	}
	b.mu.Lock()
	if b.closed != nil {
		b.mu.Unlock()
		return b.closed
	}
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	msg, _ := json.Marshal(cdpMessage{ID: id, Method: method, SessionID: session, Params: p})
	if os.Getenv("PB_CDP_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "-> %.300s\n", msg)
	}
	_, err = b.out.Write(append(msg, 0))
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: browser went away", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// hook runs fn for every later event, on the reader goroutine: it must not
// call the browser synchronously.
func (b *browser) hook(fn func(cdpEvent)) {
	b.mu.Lock()
	b.onEvent = append(b.onEvent, fn)
	b.mu.Unlock()
}

func (b *browser) eventCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// waitEvent waits for an event from index `from` on that satisfies match.
func (b *browser) waitEvent(ctx context.Context, from int, match func(cdpEvent) bool) (cdpEvent, error) {
	for {
		b.mu.Lock()
		for ; from < len(b.events); from++ {
			if match(b.events[from]) {
				ev := b.events[from]
				b.mu.Unlock()
				return ev, nil
			}
		}
		n := b.notify
		closed := b.closed
		b.mu.Unlock()
		if closed != nil {
			return cdpEvent{}, closed
		}
		select {
		case <-n:
		case <-ctx.Done():
			return cdpEvent{}, ctx.Err()
		}
	}
}

// page is one tab, attached with a flat session.
type page struct {
	b       *browser
	session string
	t       *testing.T
	// diag, when set, describes the page's state for a failure message
	// (console errors, failed requests).
	diag func() string
}

func (b *browser) newPage(ctx context.Context, t *testing.T) *page {
	t.Helper()
	// Use the tab the browser opened at start (about:blank on the command
	// line) rather than creating one: a target created while the browser
	// is still starting up was seen to never answer Page.enable.
	var targetID string
	for targetID == "" {
		var list struct {
			TargetInfos []struct {
				TargetID string `json:"targetId"`
				Type     string `json:"type"`
			} `json:"targetInfos"`
		}
		if err := b.call(ctx, "", "Target.getTargets", nil, &list); err != nil {
			t.Fatal(err)
		}
		for _, ti := range list.TargetInfos {
			if ti.Type == "page" {
				targetID = ti.TargetID
				break
			}
		}
		if targetID == "" {
			select {
			case <-ctx.Done():
				t.Fatal("the browser opened no tab")
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": targetID, "flatten": true}, &att); err != nil {
		t.Fatal(err)
	}
	p := &page{b: b, session: att.SessionID, t: t}
	for _, m := range []string{"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"} {
		p.must(ctx, m, nil, nil)
	}
	return p
}

func (p *page) call(ctx context.Context, method string, params, result any) error {
	return p.b.call(ctx, p.session, method, params, result)
}

func (p *page) must(ctx context.Context, method string, params, result any) {
	p.t.Helper()
	if err := p.call(ctx, method, params, result); err != nil {
		p.t.Fatal(err)
	}
}

// navigate loads url and waits for its load event.
func (p *page) navigate(ctx context.Context, url string) {
	p.t.Helper()
	from := p.b.eventCount()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	p.must(ctx, "Page.navigate", map[string]any{"url": url}, &nav)
	if nav.ErrorText != "" {
		p.t.Fatalf("navigate %s: %s", url, nav.ErrorText)
	}
	if _, err := p.b.waitEvent(ctx, from, func(e cdpEvent) bool {
		return e.SessionID == p.session && e.Method == "Page.loadEventFired"
	}); err != nil {
		p.t.Fatalf("navigate %s: waiting for load: %v", url, err)
	}
}

// eval runs a JavaScript expression (promises awaited) and decodes its
// JSON-able value into out (may be nil).
func (p *page) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true, "userGesture": true,
	}, &res)
	if err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("evaluate %q: %s %s", short(expr), res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description)
	}
	if out != nil && len(res.Result.Value) > 0 {
		return json.Unmarshal(res.Result.Value, out)
	}
	return nil
}

func (p *page) mustEval(ctx context.Context, expr string, out any) {
	p.t.Helper()
	if err := p.eval(ctx, expr, out); err != nil {
		p.t.Fatal(err)
	}
}

// waitTrue polls a boolean expression until it holds.
func (p *page) waitTrue(ctx context.Context, what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	var last error
	for {
		var ok bool
		if last = p.eval(ctx, "Boolean("+expr+")", &ok); last == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			d := ""
			if p.diag != nil {
				d = "\n" + p.diag()
			}
			p.t.Fatalf("waiting for %s (%s): %v (last error: %v)%s", what, short(expr), ctx.Err(), last, d)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// viewport sets the window size (CSS pixels) and the colour scheme.
func (p *page) viewport(ctx context.Context, width, height int, mobile bool, scheme string) {
	p.t.Helper()
	p.must(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
	}, nil)
	p.must(ctx, "Emulation.setEmulatedMedia", map[string]any{
		"features": []map[string]string{
			{"name": "prefers-color-scheme", "value": scheme},
			// No chart animations: a screenshot never catches a bar mid-way.
			{"name": "prefers-reduced-motion", "value": "reduce"},
		},
	}, nil)
}

// screenshot saves a PNG of the whole page (not only the viewport).
func (p *page) screenshot(ctx context.Context, path string) {
	p.t.Helper()
	var m struct {
		CSSContentSize struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	p.must(ctx, "Page.getLayoutMetrics", nil, &m)
	var shot struct {
		Data []byte `json:"data"` // base64 in JSON; encoding/json decodes it
	}
	p.must(ctx, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": m.CSSContentSize.Width, "height": m.CSSContentSize.Height, "scale": 1},
	}, &shot)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// pressKey sends a key press (keyDown + keyUp) to the focused element.
func (p *page) pressKey(ctx context.Context, key, code string, keyCode int) {
	p.t.Helper()
	text := ""
	if key == "Enter" {
		text = "\r"
	} else if key == " " {
		text = " "
	}
	p.must(ctx, "Input.dispatchKeyEvent", map[string]any{"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": keyCode, "text": text}, nil)
	p.must(ctx, "Input.dispatchKeyEvent", map[string]any{"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": keyCode}, nil)
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
