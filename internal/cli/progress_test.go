package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressSilentOnPipe(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(Env{Stderr: &b}, "importing")
	p.set(5, 10)
	p.done()
	if b.Len() != 0 {
		t.Fatalf("progress wrote %q to a pipe", b.String())
	}
	p.on = true
	if l := p.line(); !strings.Contains(l, "50%") || !strings.Contains(l, "███") {
		t.Fatalf("bar %q", l)
	}
}
