package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote/redisstore"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

// openRedis opens a Store on spec and closes it when the test ends.
func openRedis(tb testing.TB, spec string) *redisstore.Store {
	tb.Helper()
	s, err := redisstore.Open(context.Background(), spec)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// newBallot returns a counted ballot of a new voter for choices, accepted now.
func newBallot(choices ...string) vote.Ballot {
	return vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: choices, At: time.Now()}
}

// within runs f and fails the test when it does not return within limit (a guard, not a speed test).
func within(t *testing.T, limit time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("%s did not return within %s", what, limit)
		return nil
	}
}

func mustSnapshot(t *testing.T, s vote.Store, p *vote.Poll) vote.Snapshot {
	t.Helper()
	snap, err := s.Snapshot(context.Background(), p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestRedisStoreContract(t *testing.T) {
	s := openRedis(t, votetest.RedisURL(t))
	votetest.Contract(t, func(*testing.T) vote.Store { return s })
}

func TestRedisClusterContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node Redis Cluster")
	}
	s := openRedis(t, votetest.StartRedisCluster(t))
	votetest.Contract(t, func(*testing.T) vote.Store { return s })
}

func TestOpenRedis(t *testing.T) {
	ctx := context.Background()
	for _, spec := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:6379/0?no_such_option=1", " , "} {
		if _, err := redisstore.Open(ctx, spec); err == nil || errors.Is(err, vote.ErrUnavailable) {
			t.Errorf("Open(%q) = %v, want a spec error", spec, err)
		}
	}
	srv := votetest.StartRedis(t)
	srv.Kill() // a port where nothing listens
	for _, spec := range []string{srv.URL(), srv.Addr()} {
		err := within(t, 10*time.Second, "Open", func() error {
			s, err := redisstore.Open(ctx, spec)
			if err == nil {
				s.Close()
			}
			return err
		})
		if !errors.Is(err, vote.ErrUnavailable) {
			t.Errorf("Open(%q) with no Redis = %v, want ErrUnavailable", spec, err)
		}
	}
}

// A Redis still loading its data answers Open with ErrLoading (and ErrUnavailable), and Open
// succeeds once it has loaded.
func TestOpenRedisLoading(t *testing.T) {
	srv := votetest.StartLoadingRedis(t)
	_, err := redisstore.Open(t.Context(), srv.URL())
	if !errors.Is(err, redisstore.ErrLoading) || !errors.Is(err, vote.ErrUnavailable) {
		t.Fatalf("Open while Redis loads = %v, want ErrLoading and ErrUnavailable", err)
	}
	err = within(t, 30*time.Second, "Open once loaded", func() error {
		for {
			s, err := redisstore.Open(t.Context(), srv.URL())
			if !errors.Is(err, redisstore.ErrLoading) {
				if err == nil {
					s.Close()
				}
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	if err != nil {
		t.Fatalf("Open once Redis has loaded: %v", err)
	}
}

// A ballot acknowledged before a crash is there after the restart (AOF, fsync always), and the
// same store, never reopened, goes on voting: scripts are loaded again into the empty script cache.
func TestRedisStoreSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	srv := votetest.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	s, p := openRedis(t, srv.URL()), votetest.Poll(t)
	const n = 30
	var acked []vote.Ballot
	for i := range n {
		b := newBallot(string(rune('a' + i%3)))
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, b)
	}
	srv.Kill()
	srv.Start()

	snap := mustSnapshot(t, s, p)
	if snap.Ballots != n || snap.Tally["a"] != n/3 || snap.Tally["b"] != n/3 || snap.Tally["c"] != n/3 {
		t.Errorf("after restart: ballots %d, tally %v; want %d, %d each", snap.Ballots, snap.Tally, n, n/3)
	}
	for _, b := range acked {
		again := newBallot("a")
		again.Voter = b.Voter
		if _, err := s.Cast(ctx, p, again); !errors.Is(err, vote.ErrAlreadyVoted) {
			t.Errorf("voter of an acknowledged ballot votes again after restart: %v", err)
		}
		if r, err := s.Receipt(ctx, p, b.Receipt); err != nil || !slices.Equal(r.Choices, b.Choices) {
			t.Errorf("receipt after restart = %+v, %v", r, err)
		}
	}
	if _, err := s.Cast(ctx, p, newBallot("a")); err != nil {
		t.Fatalf("new voter after restart: %v", err)
	}
	if snap := mustSnapshot(t, s, p); snap.Ballots != n+1 {
		t.Errorf("ballots = %d, want %d", snap.Ballots, n+1)
	}
}

// While Redis is down every method answers ErrUnavailable within a bounded time and records
// nothing; once it is back, the same store votes again by itself.
func TestRedisStoreUnavailable(t *testing.T) {
	ctx := context.Background()
	srv := votetest.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	s, p := openRedis(t, srv.URL()), votetest.Poll(t)
	if _, err := s.Cast(ctx, p, newBallot("a")); err != nil {
		t.Fatal(err)
	}
	srv.Kill()

	b := newBallot("b")
	checks := map[string]func() error{
		"Cast": func() error {
			_, err := s.Cast(ctx, p, b)
			return err
		},
		"Snapshot": func() error {
			_, err := s.Snapshot(ctx, p, time.Now())
			return err
		},
		"Ping": func() error { return s.Ping(ctx) },
		"VoterBallot": func() error {
			_, err := s.VoterBallot(ctx, p, b.Voter, "")
			return err
		},
		"UseChallenge": func() error { return s.UseChallenge(ctx, p, rand.Text(), time.Now().Add(time.Minute)) },
		"SetStatus": func() error {
			_, err := s.SetStatus(ctx, p, vote.StatusPaused)
			return err
		},
	}
	for name, f := range checks {
		start := time.Now()
		err := within(t, 10*time.Second, name, f)
		if !errors.Is(err, vote.ErrUnavailable) {
			t.Errorf("%s with Redis down = %v, want ErrUnavailable", name, err)
		}
		t.Logf("%s with Redis down: %v after %s", name, err, time.Since(start).Round(time.Millisecond))
	}

	srv.Start()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("store did not answer again within 10s of Redis's restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if snap := mustSnapshot(t, s, p); snap.Ballots != 1 || snap.Tally["b"] != 0 || snap.State.Status != vote.StatusOpen {
		t.Errorf("after the failed attempts: %+v; want one ballot for a, still open", snap)
	}
	if _, err := s.VoterBallot(ctx, p, b.Voter, ""); !errors.Is(err, vote.ErrReceiptNotFound) {
		t.Errorf("VoterBallot of the failed attempt = %v, want ErrReceiptNotFound", err)
	}
	if _, err := s.Cast(ctx, p, b); err != nil {
		t.Fatalf("Cast after Redis is back: %v", err)
	}
	if snap := mustSnapshot(t, s, p); snap.Ballots != 2 || snap.Tally["b"] != 1 {
		t.Errorf("after voting again: ballots %d, tally %v", snap.Ballots, snap.Tally)
	}
}

// A Redis that hangs (the host stops answering) turns into ErrUnavailable within a bounded time.
// The ballot sent meanwhile may still be recorded when Redis wakes up (the ambiguous failure of
// vote.Ballots.Cast): VoterBallot tells, and sending the same ballot again is answered nil and counted once.
func TestRedisStoreHung(t *testing.T) {
	ctx := context.Background()
	srv := votetest.StartRedis(t)
	s, p := openRedis(t, srv.URL()), votetest.Poll(t)
	if _, err := s.Cast(ctx, p, newBallot("a")); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	b := newBallot("b")
	for name, f := range map[string]func() error{
		"Cast": func() error {
			_, err := s.Cast(ctx, p, b)
			return err
		},
		"Snapshot": func() error {
			_, err := s.Snapshot(ctx, p, time.Now())
			return err
		},
	} {
		start := time.Now()
		err := within(t, 10*time.Second, name, f)
		if !errors.Is(err, vote.ErrUnavailable) {
			t.Errorf("%s with Redis hung = %v, want ErrUnavailable", name, err)
		}
		t.Logf("%s with Redis hung: %v after %s", name, err, time.Since(start).Round(time.Millisecond))
	}
	srv.Resume()

	r, err := s.VoterBallot(ctx, p, b.Voter, "")
	switch {
	case err == nil && r.ID == b.Receipt:
		t.Log("the ambiguous ballot was recorded once Redis woke up")
	case errors.Is(err, vote.ErrReceiptNotFound):
		t.Log("the ambiguous ballot was not recorded")
	default:
		t.Fatalf("VoterBallot after the hang = %+v, %v", r, err)
	}
	if _, err := s.Cast(ctx, p, b); err != nil {
		t.Fatalf("sending the ambiguous ballot again: %v", err)
	}
	if snap := mustSnapshot(t, s, p); snap.Ballots != 2 || snap.Tally["a"] != 1 || snap.Tally["b"] != 1 {
		t.Errorf("ballots %d, tally %v; want 2, a:1 b:1", snap.Ballots, snap.Tally)
	}
	if n, err := s.Client().XLen(ctx, "{lv:"+p.ID+"}:log").Result(); err != nil || n != 2 {
		t.Errorf("log has %d entries (%v), want 2", n, err)
	}
}

func TestRedisStoreSurvivesScriptFlush(t *testing.T) {
	ctx := context.Background()
	srv := votetest.StartRedis(t)
	s, p := openRedis(t, srv.URL()), votetest.Poll(t)
	if _, err := s.Cast(ctx, p, newBallot("a")); err != nil {
		t.Fatal(err)
	}
	other := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer other.Close()
	if err := other.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cast(ctx, p, newBallot("a")); err != nil {
		t.Fatalf("Cast after SCRIPT FLUSH: %v", err)
	}
	if snap := mustSnapshot(t, s, p); snap.Ballots != 2 || snap.Tally["a"] != 2 {
		t.Errorf("after SCRIPT FLUSH: ballots %d, tally %v; want 2", snap.Ballots, snap.Tally)
	}
}

// go-redis sends a command again when it lost the reply; the second run of a recorded ballot's
// script must answer as the first did and count nothing.
func TestRedisStoreCastIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s, p := openRedis(t, votetest.RedisURL(t)), votetest.Poll(t)
	b := newBallot("a")
	b.Challenge, b.ChallengeUntil = rand.Text(), time.Now().Add(time.Minute)
	for i := range 2 {
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := s.SetStatus(ctx, p, vote.StatusClosed); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cast(ctx, p, b); err != nil {
		t.Errorf("retry after the poll closed: %v, want nil (the ballot was recorded)", err)
	}
	held := newBallot("b")
	held.Held = true
	if _, err := s.SetStatus(ctx, p, vote.StatusOpen); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.Cast(ctx, p, held); err != nil {
			t.Fatal(err)
		}
	}
	snap := mustSnapshot(t, s, p)
	if snap.Ballots != 1 || snap.Tally["a"] != 1 || snap.Held != 1 {
		t.Errorf("after retries: ballots %d, held %d, tally %v; want 1, 1, a:1", snap.Ballots, snap.Held, snap.Tally)
	}
	if n, err := s.Client().XLen(ctx, "{lv:"+p.ID+"}:log").Result(); err != nil || n != 2 {
		t.Errorf("log has %d entries (%v), want 2", n, err)
	}
	if tt, err := s.Turnout(ctx, p, time.Minute); err != nil || len(tt) != 1 {
		t.Errorf("turnout = %v, %v", tt, err)
	}
	// A different receipt of the same voter is a new ballot, refused.
	again := b
	again.Receipt = rand.Text()
	again.Challenge = ""
	if _, err := s.Cast(ctx, p, again); !errors.Is(err, vote.ErrAlreadyVoted) {
		t.Errorf("second ballot of the voter: %v, want ErrAlreadyVoted", err)
	}
}

// Every key of a poll carries its hash tag, and the log holds exactly the documented fields.
func TestRedisStoreKeys(t *testing.T) {
	ctx := context.Background()
	srv := votetest.StartRedis(t)
	s, p := openRedis(t, srv.URL()), votetest.Poll(t, "limit: daily", "max_choices: 2")
	counted := newBallot("a", "c")
	counted.Period = p.Period(counted.At)
	counted.Challenge, counted.ChallengeUntil = rand.Text(), time.Now().Add(time.Minute)
	held := newBallot("b")
	held.Period, held.Held = p.Period(held.At), true
	for _, b := range []vote.Ballot{counted, held} {
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UseChallenge(ctx, p, "{x}:y", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetDifficulty(ctx, p, 7); err != nil {
		t.Fatal(err)
	}

	tag := "{lv:" + p.ID + "}"
	var keys []string // every key of the private server
	it := s.Client().Scan(ctx, 0, "*", 100).Iterator()
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, tag+":") {
			t.Errorf("key %q is not under the poll's hash tag %s", k, tag)
		}
	}
	var want []string
	for _, k := range []string{"state", "voters", "receipts", "tally", "heldtally", "ballots", "held", "m", "h", "log", "pending", "why", "version",
		"pow:" + counted.Challenge, "pow:{x}:y"} {
		want = append(want, tag+":"+k)
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("keys:\n%v\nwant\n%v", keys, want)
	}

	entries, err := s.Client().XRange(ctx, tag+":log", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("log has %d entries, want 2", len(entries))
	}
	for i, b := range []vote.Ballot{counted, held} {
		state := "counted"
		if b.Held {
			state = "held"
		}
		want := map[string]any{"receipt": b.Receipt, "at": fmt.Sprint(b.At.UnixMilli()), "voter": b.Voter,
			"period": b.Period, "choices": strings.Join(b.Choices, ","), "state": state}
		if fmt.Sprint(entries[i].Values) != fmt.Sprint(want) {
			t.Errorf("log entry %d = %v, want %v", i, entries[i].Values, want)
		}
	}
}
