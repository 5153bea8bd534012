package votetest

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// contractVersion is the part of the contract the hub relies on to skip reading a snapshot
// (vote.Snapshots.Versions): every change a snapshot shows moves the poll's version, a snapshot
// carries the version it shows, and reading moves nothing.
func contractVersion(t *testing.T, store func(t *testing.T) vote.Store) {
	ctx, at := context.Background(), time.Date(2023, 11, 20, 10, 30, 15, 0, time.UTC)
	ballot := func(choices ...string) vote.Ballot { return newBallot(at, choices...) }
	shared := func(choices ...string) vote.Ballot {
		b := newBallot(at, choices...)
		b.Source = vote.Source{IP: rand.Text(), Subnet: "net", Caps: vote.SourceCaps{Shared: true}}
		return b
	}
	version := func(t *testing.T, s vote.Store, p *vote.Poll) uint64 {
		t.Helper()
		v, err := s.Versions(ctx, []*vote.Poll{p})
		if err != nil || len(v) != 1 {
			t.Fatalf("Versions = %v, %v", v, err)
		}
		return v[0]
	}

	t.Run("version: every change a snapshot shows moves it", func(t *testing.T) {
		s, p := store(t), Poll(t)
		if v := version(t, s, p); v != 0 {
			t.Errorf("version of a poll nothing changed = %d, want 0", v)
		}
		held, void, first, pending := ballot("a"), ballot("b"), shared("a"), shared("c")
		held.Held, void.Held = true, true
		steps := []struct {
			name   string
			change func() error
		}{
			{"a cast", func() error { _, err := s.Cast(ctx, p, ballot("a")); return err }},
			{"a held cast", func() error { _, err := s.Cast(ctx, p, held); return err }},
			{"a second held cast", func() error { _, err := s.Cast(ctx, p, void); return err }},
			{"a cast of a source", func() error { _, err := s.Cast(ctx, p, first); return err }},
			{"a pending cast (its source shared)", func() error { _, err := s.Cast(ctx, p, pending); return err }},
			{"a keep", func() error { return s.Keep(ctx, p, []string{pending.Receipt}, vote.SignalSkewed, at) }},
			{"a pending cast and its release", func() error {
				b := shared("b")
				if _, err := s.Cast(ctx, p, b); err != nil {
					return err
				}
				v := version(t, s, p)
				n, err := s.Release(ctx, p, []string{b.Receipt}, at)
				if n != 1 || version(t, s, p) == v {
					t.Errorf("Release = %d, %v; the version %d stayed", n, err, v)
				}
				return err
			}},
			{"a review that releases", func() error { _, err := s.Review(ctx, p, held.Receipt, true, at); return err }},
			{"a review that voids", func() error { _, err := s.Review(ctx, p, void.Receipt, false, at); return err }},
			{"fraud counts added", func() error {
				return s.AddFraudCounts(ctx, p, vote.FraudCounts{Results: map[string]int64{"held": 1}})
			}},
			{"status", func() error { _, err := s.SetStatus(ctx, p, vote.StatusPaused); return err }},
			{"results", func() error { _, err := s.SetResults(ctx, p, vote.ResultsRevealed); return err }},
			{"difficulty", func() error { _, err := s.SetDifficulty(ctx, p, 3); return err }},
			{"hold of new networks", func() error { _, err := s.SetHoldNew(ctx, p, at.Add(time.Hour)); return err }},
			{"a reveal step", func() error { _, err := s.SetWithheld(ctx, p, 2, 3, at.UnixMilli()); return err }},
			{"a correction", func() error { _, err := s.SetCorrected(ctx, p, at.UnixMilli()); return err }},
			{"an audit", func() error { _, err := s.SetAudited(ctx, p, at.UnixMilli(), true); return err }},
		}
		prev := version(t, s, p)
		for _, step := range steps {
			if err := step.change(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			v := version(t, s, p)
			if v == prev {
				t.Errorf("%s: the version stayed %d", step.name, v)
			}
			snap, err := s.Snapshot(ctx, p, at)
			if err != nil || snap.Version != v {
				t.Errorf("%s: the snapshot's version %d, %v; Versions says %d", step.name, snap.Version, err, v)
			}
			prev = v
		}
		// Reading changes nothing: the version stays.
		if _, err := s.State(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Held(ctx, p, 10); err != nil {
			t.Fatal(err)
		}
		if v := version(t, s, p); v != prev {
			t.Errorf("reads moved the version from %d to %d", prev, v)
		}
	})

	t.Run("version: several polls in one read, each its own", func(t *testing.T) {
		s := store(t)
		polls := []*vote.Poll{Poll(t), Poll(t), Poll(t)}
		for range 2 {
			if _, err := s.Cast(ctx, polls[1], ballot("a")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SetStatus(ctx, polls[2], vote.StatusClosed); err != nil {
			t.Fatal(err)
		}
		v, err := s.Versions(ctx, polls)
		if err != nil || len(v) != 3 {
			t.Fatalf("Versions = %v, %v", v, err)
		}
		for i, p := range polls {
			if one := version(t, s, p); v[i] != one {
				t.Errorf("poll %d: %d in the read of three, %d alone", i, v[i], one)
			}
		}
		if v[0] != 0 || v[1] == 0 || v[2] == 0 {
			t.Errorf("Versions = %v: want 0 for the poll nothing changed, not 0 for the others", v)
		}
	})

	t.Run("snapshot: when the schedule turns the status", func(t *testing.T) {
		s, p := store(t), Poll(t, "opens_at: 2099-01-01T00:00:00Z", "closes_at: 2099-01-02T00:00:00Z")
		opens, closes := *p.OpensAt, *p.ClosesAt
		for now, want := range map[time.Time]time.Time{at: opens, opens: closes, closes: {}} {
			if snap, err := s.Snapshot(ctx, p, now); err != nil || !snap.Turn.Equal(want) {
				t.Errorf("Turn at %s = %s, %v; want %s", now, snap.Turn, err, want)
			}
		}
		if _, err := s.SetStatus(ctx, p, vote.StatusPaused); err != nil {
			t.Fatal(err)
		}
		if snap, err := s.Snapshot(ctx, p, at); err != nil || !snap.Turn.IsZero() {
			t.Errorf("Turn of a paused poll = %s, %v; want none", snap.Turn, err)
		}
	})
}
