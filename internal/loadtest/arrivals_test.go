package loadtest

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestPhonesDoNotWait runs arrivals at 50/s for 1 s against a /healthz that answers each request
// after 300 ms. With -phones every arrival is sent at its scheduled time on a new connection of
// its own; with a pool of 2 connections the arrivals queue for them and most are never sent in the
// window (the pool's coordinated omission: the latency still counts from the schedule, but the
// server sees the arrivals late or not at all).
func TestPhonesDoNotWait(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	run := func(mode ...string) Report {
		t.Helper()
		out := filepath.Join(t.TempDir(), "r.json")
		args := append([]string{"-url", srv.URL, "-target", "healthz", "-rate", "50", "-duration", "1s", "-quiet", "-json", out}, mode...)
		if err := Run(context.Background(), args, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) > 0 {
			t.Fatalf("%v: errors %v", mode, r.Errors)
		}
		return r
	}

	conns.Store(0)
	phones := run("-phones")
	if phones.Acked != 50 || phones.Missed != 0 {
		t.Errorf("-phones: %d of 50 acknowledged, %d missed", phones.Acked, phones.Missed)
	}
	// A loaded machine delays the tool's own goroutines too; a pool's wait here is 300 ms a turn.
	if phones.Late.P99 > 250*time.Millisecond {
		t.Errorf("-phones: sent late by up to %s (p99), want each arrival sent on time", phones.Late.P99)
	}
	if n := conns.Load(); n < 50 {
		t.Errorf("-phones: %d connections for 50 arrivals, want one each", n)
	}

	conns.Store(0)
	pool := run("-conns", "2")
	if pool.Late.P99 < 250*time.Millisecond || pool.Missed == 0 {
		t.Errorf("a pool of 2: sent late by %s at most (p99), %d missed; want the arrivals queued for the pool", pool.Late.P99, pool.Missed)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("a pool of 2: %d connections", n)
	}
	if pool.Latency.P99 < pool.Late.P99 {
		t.Errorf("a pool of 2: latency p99 %s below its lateness %s: not counted from the schedule", pool.Latency.P99, pool.Late.P99)
	}
}
