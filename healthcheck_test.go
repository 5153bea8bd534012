package main

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/vote/votetest"
)

// TestHealthcheck runs `livevote healthcheck` against a real instance on a real Redis: ready
// (exit 0), Redis gone (503: exit 1), instance gone (no answer: exit 1).
func TestHealthcheck(t *testing.T) {
	rs := votetest.StartRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := newLineWriter()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"livevote", "-addr", "127.0.0.1:0", "-metrics-addr", ""},
			getenv(map[string]string{"LIVEVOTE_REDIS_URL": rs.URL(), "LIVEVOTE_SECRET": "s", "LIVEVOTE_ADMIN_TOKEN": "t"}), out, io.Discard)
	}()
	u, err := url.Parse(out.waitAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	// The check reads the server's configuration: the address comes from LIVEVOTE_ADDR, as the
	// server's does; a flag wins over it.
	check := func() error {
		return run(context.Background(), []string{"livevote", "healthcheck"},
			getenv(map[string]string{"LIVEVOTE_ADDR": u.Host}), io.Discard, io.Discard)
	}
	if err := check(); err != nil {
		t.Fatalf("healthcheck of a ready instance: %v", err)
	}
	if err := run(context.Background(), []string{"livevote", "healthcheck", "-addr", u.Host},
		getenv(map[string]string{"LIVEVOTE_ADDR": "127.0.0.1:1"}), io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck -addr: %v", err)
	}

	rs.Kill()
	if err := check(); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("healthcheck with Redis down = %v, want a 503", err)
	}
	rs.Start()
	if err := check(); err != nil {
		t.Errorf("healthcheck with Redis back: %v", err)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if err := check(); err == nil {
		t.Error("healthcheck of a stopped instance succeeded")
	}
}

func TestReadyzURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:80":     "http://127.0.0.1:80/readyz",
		"[::]:8080":      "http://127.0.0.1:8080/readyz",
		"10.0.0.5:8080":  "http://10.0.0.5:8080/readyz",
		"[::1]:8080":     "http://[::1]:8080/readyz",
		"localhost:8081": "http://localhost:8081/readyz",
	} {
		if got, err := readyzURL(addr); err != nil || got != want {
			t.Errorf("readyzURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := readyzURL("8080"); err == nil {
		t.Error(`readyzURL("8080") did not fail`)
	}
}
