package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress is a one-line progress bar on stderr, shown only when stderr is
// a terminal (nothing on a pipe or in a log). With a known total it draws a
// bar and a percentage; without, a spinner with the elapsed time.
type progress struct {
	w      io.Writer
	label  string
	on     bool
	mu     sync.Mutex
	stop   chan struct{}
	wg     sync.WaitGroup
	cur    int64
	total  int64
	start  time.Time
	spinAt int
}

func newProgress(env Env, label string) *progress {
	p := &progress{w: env.Stderr, label: label, on: isTerminal(env.Stderr), start: time.Now()}
	if !p.on {
		return p
	}
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// set reports cur of total units done.
func (p *progress) set(cur, total int64) {
	p.mu.Lock()
	p.cur, p.total = cur, total
	p.mu.Unlock()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[2K"+p.line())
}

func (p *progress) line() string {
	if p.total > 0 {
		frac := float64(p.cur) / float64(p.total)
		frac = min(max(frac, 0), 1)
		const w = 30
		n := int(frac * w)
		return fmt.Sprintf("%s [%s%s] %3.0f%%", p.label, strings.Repeat("█", n), strings.Repeat("░", w-n), frac*100)
	}
	spin := `|/-\`
	p.spinAt++
	return fmt.Sprintf("%s %c %ds", p.label, spin[p.spinAt%4], int(time.Since(p.start).Seconds()))
}

// done removes the bar.
func (p *progress) done() {
	if !p.on || p.stop == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.stop = nil
	fmt.Fprint(p.w, "\r\x1b[2K")
}
