//go:build pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

// A profiling build (go build -tags pprof) serves net/http/pprof on LIVEVOTE_PPROF_ADDR
// (default 127.0.0.1:6060), for the profiles of BENCHMARKS.md. Release builds do not contain it.
func init() {
	addr := os.Getenv("LIVEVOTE_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go http.ListenAndServe(addr, nil) //nolint:errcheck // a debugging aid: no listener, no profile
}
