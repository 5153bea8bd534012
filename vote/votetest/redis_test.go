package votetest

import (
	"testing"
	"time"
)

// The server helper keeps AOF data over Stop/Start and Kill/Start, and Pause/Resume holds replies.
func TestRedisServer(t *testing.T) {
	s := StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	if v, err := redisDo(s.Addr(), "SET", "k", "v1"); err != nil || v != "OK" {
		t.Fatalf("SET = %q, %v", v, err)
	}
	s.Stop()
	if _, err := redisDo(s.Addr(), "PING"); err == nil {
		t.Fatal("PING answered after Stop")
	}
	s.Start()
	if v, err := redisDo(s.Addr(), "GET", "k"); err != nil || v != "v1" {
		t.Errorf("after Stop and Start: GET = %q, %v; want v1", v, err)
	}
	if _, err := redisDo(s.Addr(), "SET", "k", "v2"); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	s.Start()
	if v, err := redisDo(s.Addr(), "GET", "k"); err != nil || v != "v2" {
		t.Errorf("after Kill and Start: GET = %q, %v; want v2", v, err)
	}

	s.Pause()
	start := time.Now()
	if _, err := redisDo(s.Addr(), "PING"); err == nil {
		t.Error("PING answered while paused")
	}
	t.Logf("PING while paused failed after %s", time.Since(start).Round(time.Millisecond))
	s.Resume()
	if v, err := redisDo(s.Addr(), "PING"); err != nil || v != "PONG" {
		t.Errorf("PING after Resume = %q, %v", v, err)
	}
	s.Pause() // the cleanup's Kill ends a paused server too
}
