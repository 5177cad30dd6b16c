// Command sender is a test program for internal/apps: it moves a known
// amount of traffic so the test can compare what was booked for it.
//
//	sender TCPADDR UP DOWN UDPADDR DATAGRAMS SIZE [HOLDMS]
//
// It connects to the TCP sink and, after HOLDMS milliseconds (default 0:
// at once; a poller that only sees connections open at a poll needs a
// few), sends UP bytes to the netlab TCP sink and reads DOWN bytes back, then
// sends DATAGRAMS datagrams of SIZE bytes to a UDP echo server and reads
// each one back, within 20 s, and exits 200 ms later.
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 6 && len(args) != 7 {
		return fmt.Errorf("want TCPADDR UP DOWN UDPADDR DATAGRAMS SIZE [HOLDMS], got %q", args)
	}
	hold := 0
	if len(args) == 7 {
		v, err := strconv.Atoi(args[6])
		if err != nil || v < 0 || v > 10000 {
			return fmt.Errorf("bad hold %q", args[6])
		}
		hold = v
	}
	var n [4]int
	for i, a := range []string{args[1], args[2], args[4], args[5]} {
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || v > 64<<20 {
			return fmt.Errorf("bad number %q", a)
		}
		n[i] = v
	}
	up, down, datagrams, size := n[0], n[1], n[2], n[3]
	deadline := time.Now().Add(20 * time.Second)
	if up > 0 || down > 0 {
		c, err := net.DialTimeout("tcp4", args[0], 5*time.Second)
		if err != nil {
			return err
		}
		time.Sleep(time.Duration(hold) * time.Millisecond)
		c.SetDeadline(deadline)
		var hdr [8]byte
		binary.BigEndian.PutUint64(hdr[:], uint64(down))
		if _, err := c.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := c.Write(make([]byte, up)); err != nil {
			return err
		}
		c.(*net.TCPConn).CloseWrite()
		got, err := io.Copy(io.Discard, c)
		if err != nil || got != int64(down) {
			return fmt.Errorf("received %d of %d bytes: %v", got, down, err)
		}
		c.Close()
	}
	if datagrams > 0 {
		c, err := net.Dial("udp4", args[3])
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(deadline)
		buf := make([]byte, size)
		for i := 0; i < datagrams; i++ {
			// One at a time, each waited for: none is lost to a full
			// queue, so the bytes on the wire are known.
			if _, err := c.Write(buf); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return fmt.Errorf("echo %d: %w", i, err)
			}
		}
	}
	// Stay a moment, so the test's daemon (polling every 50 ms) sees the
	// process alive and names it from /proc.
	time.Sleep(200 * time.Millisecond)
	return nil
}
