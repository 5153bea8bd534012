package main

import (
	"context"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/redisstore"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/livevote/livevote/vote/votetest"
)

// TestGracefulShutdown stops the program while votes stream in: it returns without error, every
// acknowledged ballot is in Redis, and no ballot is recorded that was not acknowledged (requests
// in flight finish and are answered).
func TestGracefulShutdown(t *testing.T) {
	rs := votetest.StartRedis(t)
	ballot := filepath.Join(t.TempDir(), "ballot.yaml")
	os.WriteFile(ballot, []byte(votetest.PollYAML()), 0o600)
	polls, err := ballotfile.Load(ballot)
	if err != nil {
		t.Fatal(err)
	}
	p := polls[0]
	ctx, cancel := context.WithCancel(context.Background())
	out := newLineWriter()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"livevote", "-addr", "127.0.0.1:0", "-metrics-addr", ""}, getenv(map[string]string{
			"LIVEVOTE_REDIS_URL": rs.URL(), "LIVEVOTE_BALLOT": ballot, "LIVEVOTE_SECRET": "s",
			"LIVEVOTE_ADMIN_TOKEN": "t", "LIVEVOTE_RATE_LIMIT": "0",
		}), out, out)
	}()
	url := out.waitAddr(t)

	votes := streamVotes(t, url, p.ID, "b", 12)
	time.Sleep(500 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	acked := votes.stop()

	store, err := redisstore.Open(context.Background(), rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	snap, err := store.Snapshot(context.Background(), p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(acked) == 0 || snap.Ballots != int64(len(acked)) {
		t.Fatalf("%d ballots acknowledged, %d recorded", len(acked), snap.Ballots)
	}
	for _, v := range acked {
		if _, err := store.Receipt(context.Background(), p, v.receipt); err != nil {
			t.Errorf("acknowledged receipt %s: %v", v.receipt, err)
		}
	}
	t.Logf("%d ballots acknowledged and recorded across the shutdown", len(acked))
}
