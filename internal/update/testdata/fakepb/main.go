// Command fakepb stands in for pb in the update tests: "fakepb version"
// prints the version stamped with -ldflags "-X main.version=...".
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Printf("pb %s\n", version)
		return
	}
	fmt.Fprintln(os.Stderr, "fakepb: only \"version\" is implemented")
	os.Exit(2)
}
