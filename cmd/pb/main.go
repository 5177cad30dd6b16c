// Command pb is PacketBuddy: a network usage monitor with a daemon, a CLI, a
// localhost API and dashboard. Everything lives in internal/; main only hands
// the command line, the standard streams and the signals to cli.Run.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/packetbuddy/pb/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
