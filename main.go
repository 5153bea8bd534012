// Command livevote serves a public vote with live results. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

func main() {
	// One processor more than the machine gives the process: the live fan-out may take all but
	// one while it catches up (hub: the writers' pace rule), and a vote's goroutines then find a
	// processor without waiting for a writer to be preempted. GOMAXPROCS, when set, wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "livevote:", err)
		os.Exit(1)
	}
}
