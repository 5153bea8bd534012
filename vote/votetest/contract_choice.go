package votetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// contractChoice is the part of Contract about the choice test's store side: a shared source's
// ballots pending, the choice counters, automatic release and keeping.
func contractChoice(t *testing.T, store func(t *testing.T) vote.Store) {
	ctx := context.Background()
	at := time.Date(2023, 11, 20, 10, 30, 15, 0, time.UTC)
	shared := vote.SourceCaps{Shared: true}
	from := func(ip, subnet string, at time.Time, choices ...string) vote.Ballot {
		return vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: choices, At: at,
			Source: &vote.Source{IP: ip, Subnet: subnet, Caps: shared}}
	}
	cast := func(t *testing.T, s vote.Store, p *vote.Poll, b vote.Ballot) vote.Ballot {
		t.Helper()
		if err := s.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("choice test: a shared source's ballots pend, with why", func(t *testing.T) {
		s, p := store(t), Poll(t, "max_choices: 2")
		first := cast(t, s, p, from("ip1", "net1", at, "a"))
		second := cast(t, s, p, from("ip2", "net1", at.Add(time.Second), "a", "b"))
		alone := cast(t, s, p, from("ip3", "net2", at.Add(2*time.Second), "c"))
		tool := from("ip1", "net1", at.Add(3*time.Second), "b")
		tool.Held, tool.Signals = true, []vote.Signal{vote.SignalToolAgent}
		cast(t, s, p, tool)
		if first.Source.Held || first.Source.Shared || alone.Source.Held {
			t.Errorf("first of a subnet %+v, alone %+v: want counted", first.Source, alone.Source)
		}
		if !second.Source.Held || !second.Source.Shared || !tool.Source.Held || !tool.Source.Shared {
			t.Errorf("second of a subnet %+v, a held one of it %+v: want held, shared", second.Source, tool.Source)
		}
		pending, err := s.Pending(ctx, p, 10)
		if err != nil || len(pending) != 1 {
			t.Fatalf("Pending = %+v, %v; want the second ballot only (the tool's is held by the caller)", pending, err)
		}
		if b := pending[0]; b.ID != second.Receipt || b.IP != "ip2" || b.Subnet != "net1" || fmt.Sprint(b.Signals) != "[shared_source]" {
			t.Errorf("pending ballot = %+v", b)
		}
		held, _ := s.Held(ctx, p, 10)
		if len(held) != 2 || held[1].ID != tool.Receipt || fmt.Sprint(held[1].Signals) != "[tool_agent shared_source]" {
			t.Errorf("Held = %+v", held)
		}
		snap, _ := s.Snapshot(ctx, p, at.Add(time.Minute))
		if snap.Ballots != 2 || snap.Held != 2 || snap.Pending != 1 || snap.Received() != 4 {
			t.Errorf("snapshot: ballots %d, held %d, pending %d; want 2, 2, 1", snap.Ballots, snap.Held, snap.Pending)
		}

		cc, err := s.Choices(ctx, p, at.Add(time.Minute), []string{"net1", "ip1", "nobody"})
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			got  vote.ChoiceCount
			want string
		}{
			"poll":   {cc.Poll, "4 map[a:2 b:2 c:1]"},
			"net1":   {cc.Sources["net1"], "3 map[a:2 b:2]"},
			"ip1":    {cc.Sources["ip1"], "2 map[a:1 b:1]"},
			"nobody": {cc.Sources["nobody"], "0 map[]"},
		} {
			if got := fmt.Sprint(c.got.Ballots, " ", c.got.Tally); got != c.want {
				t.Errorf("choices of %s = %s, want %s", name, got, c.want)
			}
		}
		// An hour and a half on, the window holds half of the hour before.
		cc, _ = s.Choices(ctx, p, at.Truncate(time.Hour).Add(90*time.Minute), []string{"net1"})
		if got := fmt.Sprint(cc.Poll.Ballots, " ", cc.Sources["net1"].Tally); got != "2 map[a:1 b:1]" {
			t.Errorf("choices half an hour into the next hour = %s, want 2 map[a:1 b:1]", got)
		}
	})

	t.Run("choice test: release and keep settle pending ballots once", func(t *testing.T) {
		s, p := store(t), Poll(t)
		cast(t, s, p, from("ip1", "net1", at, "a"))
		var pend []string
		for i := range 4 {
			pend = append(pend, cast(t, s, p, from("ip1", "net1", at.Add(time.Duration(i+1)*time.Second), "b")).Receipt)
		}
		later := at.Add(time.Minute)
		if list, _ := s.Pending(ctx, p, 3); len(list) != 3 || list[0].ID != pend[3] || list[2].ID != pend[1] {
			t.Errorf("Pending(limit 3) = %+v; want the newest three, newest first", list)
		}
		if err := s.Keep(ctx, p, pend[:1], vote.SignalSkewed); err != nil {
			t.Fatal(err)
		}
		n, err := s.Release(ctx, p, append(pend, "nope"), later)
		if err != nil || n != 3 {
			t.Fatalf("Release = %d, %v; want 3 (one kept, one unknown)", n, err)
		}
		if n, _ := s.Release(ctx, p, pend, later); n != 0 {
			t.Errorf("Release again released %d", n)
		}
		if err := s.Keep(ctx, p, pend, vote.SignalSkewed); err != nil {
			t.Errorf("Keep of settled ballots: %v", err)
		}
		held, _ := s.Held(ctx, p, 10)
		if len(held) != 1 || held[0].ID != pend[0] || fmt.Sprint(held[0].Signals) != "[shared_source skewed]" {
			t.Errorf("Held = %+v; want the kept ballot, skewed", held)
		}
		if list, _ := s.Pending(ctx, p, 10); len(list) != 0 {
			t.Errorf("Pending = %+v, want none", list)
		}
		snap, _ := s.Snapshot(ctx, p, later)
		if snap.Ballots != 4 || snap.Held != 1 || snap.Pending != 0 || snap.Tally["b"] != 3 {
			t.Errorf("snapshot %+v", snap)
		}
		if tt, _ := s.Turnout(ctx, p, time.Minute); tt[at.Truncate(time.Minute).Unix()] != 5 {
			t.Errorf("turnout %v: released ballots count once, at their recording time", tt)
		}
		log, _ := s.Log(ctx, p, "", 100)
		var by []string
		for _, e := range log {
			if e.State == vote.BallotReleased {
				by = append(by, e.By)
				if !e.At.Equal(later) {
					t.Errorf("release logged at %v, want %v", e.At, later)
				}
			}
		}
		if fmt.Sprint(by) != "[system system system]" {
			t.Errorf("releases logged by %q, want the system's three", by)
		}
		// The kept ballot is the organiser's now: Review settles it.
		if r, err := s.Review(ctx, p, pend[0], false, later); err != nil || r.State != vote.BallotVoid {
			t.Errorf("void of the kept ballot = %+v, %v", r, err)
		}
	})
}
