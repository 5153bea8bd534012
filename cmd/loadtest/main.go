// Command loadtest is livevote's load generator: open-loop voters, live-update dashboards and an
// exact accounting check against a server on loopback. It is a program of its own, so the server
// binary does not carry it. Run it with
//
//	go run ./cmd/loadtest -url http://127.0.0.1:8080 -token $LIVEVOTE_ADMIN_TOKEN -rate 100 -duration 10s
//
// or build it with `go build -o bin/loadtest ./cmd/loadtest`; `-h` lists the flags. The tool
// itself is package internal/loadtest (see its doc comment and BENCHMARKS.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/livevote/livevote/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// run is the whole program: the load run that args (the command line, program name first)
// describe. The tool reads no environment variable; getenv is there for the shape every command
// of the project has.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := loadtest.Run(ctx, args[1:], stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed
	}
	return err
}
