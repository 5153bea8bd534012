package votetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
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
			Source: vote.Source{IP: ip, Subnet: subnet, Caps: shared}}
	}
	cast := func(t *testing.T, s vote.Store, p *vote.Poll, b vote.Ballot) casted {
		t.Helper()
		got, err := s.Cast(ctx, p, b)
		if err != nil {
			t.Fatal(err)
		}
		return casted{b, got}
	}

	t.Run("choice test: a shared source's ballots pend, with why", func(t *testing.T) {
		s, p := store(t), Poll(t, "max_choices: 2")
		first := cast(t, s, p, from("ip1", "net1", at, "a"))
		second := cast(t, s, p, from("ip2", "net1", at.Add(time.Second), "a", "b"))
		alone := cast(t, s, p, from("ip3", "net2", at.Add(2*time.Second), "c"))
		tool := from("ip1", "net1", at.Add(3*time.Second), "b")
		tool.Held, tool.Signals = true, []vote.Signal{vote.SignalToolAgent}
		toolGot := cast(t, s, p, tool)
		if first.Got.Held || first.Got.Shared || alone.Got.Held {
			t.Errorf("first of a subnet %+v, alone %+v: want counted", first.Got, alone.Got)
		}
		if !second.Got.Held || !second.Got.Shared || !toolGot.Got.Held || !toolGot.Got.Shared {
			t.Errorf("second of a subnet %+v, a held one of it %+v: want held, shared", second.Got, toolGot.Got)
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
		checkChoices(t, cc, map[string]string{"poll": "4 map[a:2 b:2 c:1]", "net1": "3 map[a:2 b:2]",
			"ip1": "2 map[a:1 b:1]", "nobody": "0 map[]", "total": "2 map[a:1 c:1]", // total: the snapshot's
			"held": "1 map[b:1]"}) // the tool's ballot, held by the caller; the pending one is not
		// An hour and a half on, the window holds half of the hour before.
		cc, _ = s.Choices(ctx, p, at.Truncate(time.Hour).Add(90*time.Minute), []string{"net1"})
		if got := fmt.Sprint(cc.Poll.Ballots, " ", cc.Sources["net1"].Tally); got != "2 map[a:1 b:1]" {
			t.Errorf("choices half an hour into the next hour = %s, want 2 map[a:1 b:1]", got)
		}
	})

	t.Run("arrivals: every ballot with a source, and the first of their sources, by the minute", func(t *testing.T) {
		s, p := store(t), Poll(t, "max_choices: 2")
		grouped := func(ip, subnet, group string, at time.Time, choices ...string) casted {
			b := from(ip, subnet, at, choices...)
			b.Source.Group = group
			return cast(t, s, p, b)
		}
		minute := at.Truncate(time.Minute)
		grouped("ip1", "net1", "g1", minute.Add(time.Second), "a", "b")                                                               // new
		grouped("ip1", "net1", "g1", minute.Add(2*time.Second), "b")                                                                  // its address again
		grouped("ip2", "net1", "g2", minute.Add(3*time.Second), "a")                                                                  // its subnet again
		grouped("ip3", "net3", "g1", minute.Add(4*time.Second), "a")                                                                  // its group again
		grouped("ip4", "net4", "g4", minute.Add(5*time.Second), "a")                                                                  // new
		cast(t, s, p, vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: []string{"c"}, At: minute.Add(6 * time.Second)}) // no source
		held := from("ip5", "net5", minute.Add(time.Minute), "c")                                                                     // new, held by the caller all the same
		held.Source.Group, held.Held, held.Signals = "g5", true, []vote.Signal{vote.SignalToolAgent}
		cast(t, s, p, held)
		got, err := s.Arrivals(ctx, p, minute.Add(time.Minute+30*time.Second), 3)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, a := range got {
			lines = append(lines, fmt.Sprint(a.Minute.Sub(minute), " all ", a.All.Ballots, a.All.Tally, " new ", a.New.Ballots, a.New.Tally))
		}
		want := []string{"-1m0s all 0 map[] new 0 map[]", "0s all 5 map[a:4 b:2] new 2 map[a:2 b:1]", "1m0s all 1 map[c:1] new 1 map[c:1]"}
		if fmt.Sprint(lines) != fmt.Sprint(want) {
			t.Errorf("Arrivals =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("new networks held: the first of its sources is held for the organiser, signal new_network", func(t *testing.T) {
		s, p := store(t), Poll(t)
		until := at.Add(10 * time.Minute).Add(123 * time.Microsecond)
		st, err := s.SetHoldNew(ctx, p, until)
		if err != nil || !st.HoldNewUntil.Equal(until.Truncate(time.Millisecond)) {
			t.Fatalf("SetHoldNew = %+v, %v", st, err)
		}
		if st, _ := s.State(ctx, p); !st.HoldNewUntil.Equal(until.Truncate(time.Millisecond)) || st.Status != p.Initial.Status {
			t.Errorf("State after SetHoldNew = %+v", st)
		}
		holding := func(ip, subnet, group string, at time.Time, choice string) casted {
			b := from(ip, subnet, at, choice)
			b.Source.Group, b.Source.Caps.HoldNew = group, true
			return cast(t, s, p, b)
		}
		first := holding("ip1", "net1", "g1", at, "a")
		again := holding("ip1", "net1", "g1", at.Add(time.Second), "b") // its sources seen: pending as shared, not new
		other := holding("ip2", "net2", "g2", at.Add(2*time.Second), "c")
		if !first.Got.Held || !first.Got.HeldNew || first.Got.Shared || !other.Got.HeldNew {
			t.Errorf("first of its sources %+v, another %+v: want held, new", first.Got, other.Got)
		}
		if !again.Got.Held || again.Got.HeldNew || !again.Got.Shared {
			t.Errorf("its second %+v: want held pending (shared), not new", again.Got)
		}
		pending, _ := s.Pending(ctx, p, 10)
		if len(pending) != 1 || pending[0].ID != again.Receipt {
			t.Errorf("Pending = %+v; want the second only: a new network's ballot waits for the organiser, not the test", pending)
		}
		held, _ := s.Held(ctx, p, 10)
		if len(held) != 3 || fmt.Sprint(held[0].Signals) != "[new_network]" || fmt.Sprint(held[2].Signals) != "[new_network]" {
			t.Errorf("Held = %+v", held)
		}
		cc, _ := s.Choices(ctx, p, at.Add(time.Minute), nil)
		checkChoices(t, cc, map[string]string{"held": "2 map[a:1 c:1]"}) // out of the rest of the poll, as held ballots are
		if st, err := s.SetHoldNew(ctx, p, time.Time{}); err != nil || !st.HoldNewUntil.IsZero() {
			t.Errorf("SetHoldNew(zero) = %+v, %v; want no hold", st, err)
		}
	})

	t.Run("choice test: a group's ballots pend across addresses and subnets", func(t *testing.T) {
		s, p := store(t), Poll(t)
		grouped := func(ip, subnet, group string, caps vote.SourceCaps, at time.Time, choice string) casted {
			b := from(ip, subnet, at, choice)
			b.Source.Group, b.Source.Caps = group, caps
			return cast(t, s, p, b)
		}
		first := grouped("ip1", "net1", "grpA", shared, at, "a")
		second := grouped("ip2", "net2", "grpA", shared, at.Add(time.Second), "a")
		other := grouped("ip3", "net3", "grpB", shared, at.Add(2*time.Second), "b")
		none := grouped("ip4", "net4", "", shared, at.Add(3*time.Second), "b")
		trusted := grouped("ip5", "net5", "grpA", vote.SourceCaps{}, at.Add(4*time.Second), "c") // Caps of a trusted subnet
		tool := from("ip6", "net6", at.Add(5*time.Second), "c")
		tool.Source.Group, tool.Held, tool.Signals = "grpB", true, []vote.Signal{vote.SignalToolAgent}
		cast(t, s, p, tool)
		for name, b := range map[string]casted{"the group's first": first, "another group's first": other,
			"a ballot without a group": none, "a trusted subnet's": trusted} {
			if b.Got.Held || b.Got.Shared {
				t.Errorf("%s: %+v, want counted", name, b.Got)
			}
		}
		if !second.Got.Held || !second.Got.Shared || second.Got.Counts.GroupHour != 2 || second.Got.Counts.SubnetHour != 1 {
			t.Errorf("the group's second, of a new address and subnet: %+v, want held, shared, group hour 2", second.Got)
		}
		if trusted.Got.Counts.GroupHour != 3 || none.Got.Counts.GroupHour != 0 {
			t.Errorf("group hours: trusted %d, none %d; want 3 (counted, never pending), 0", trusted.Got.Counts.GroupHour, none.Got.Counts.GroupHour)
		}
		pending, err := s.Pending(ctx, p, 10)
		if err != nil || len(pending) != 1 {
			t.Fatalf("Pending = %+v, %v; want the group's second only", pending, err)
		}
		if b := pending[0]; b.ID != second.Receipt || b.IP != "ip2" || b.Subnet != "net2" || b.Group != "grpA" || fmt.Sprint(b.Signals) != "[shared_source]" {
			t.Errorf("pending ballot = %+v", b)
		}
		held, _ := s.Held(ctx, p, 10)
		if len(held) != 2 || held[1].ID != tool.Receipt || held[1].Group != "grpB" || fmt.Sprint(held[1].Signals) != "[tool_agent shared_source]" {
			t.Errorf("Held = %+v; want the tool's ballot with its group, shared", held)
		}
		cc, err := s.Choices(ctx, p, at.Add(time.Minute), []string{"grpA", "grpB", "net2"})
		if err != nil {
			t.Fatal(err)
		}
		checkChoices(t, cc, map[string]string{"poll": "6 map[a:2 b:2 c:2]", "grpA": "3 map[a:2 c:1]",
			"grpB": "2 map[b:1 c:1]", "net2": "1 map[a:1]", "total": "4 map[a:1 b:2 c:1]"})
		cc, _ = s.Choices(ctx, p, at.Truncate(time.Hour).Add(90*time.Minute), []string{"grpA"})
		if got := fmt.Sprint(cc.Sources["grpA"].Ballots); got != "1" {
			t.Errorf("the group half an hour into the next hour: %s ballots, want 1 (half of 3, rounded down)", got)
		}
		if r, _ := s.Sources(ctx, p, at.Add(time.Minute), 10); r.Hour.Ballots != 6 || len(r.Hour.Subnets) != 6 {
			t.Errorf("the sources report = %+v; want the six ballots' subnets, no group among them", r.Hour)
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
		if err := s.Keep(ctx, p, pend[:1], vote.SignalSkewed, at.Add(2*time.Hour)); err != nil {
			t.Fatal(err) // kept two hours on: not in the held choices of the hour
		}
		if err := s.Keep(ctx, p, pend[1:2], vote.SignalSkewed, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		cc, _ := s.Choices(ctx, p, at.Add(time.Minute), nil)
		checkChoices(t, cc, map[string]string{"poll": "5 map[a:1 b:4]", "held": "1 map[b:1]"})
		n, err := s.Release(ctx, p, append(pend, "nope"), later)
		if err != nil || n != 2 {
			t.Fatalf("Release = %d, %v; want 2 (two kept, one unknown)", n, err)
		}
		if n, _ := s.Release(ctx, p, pend, later); n != 0 {
			t.Errorf("Release again released %d", n)
		}
		if err := s.Keep(ctx, p, pend, vote.SignalSkewed, later); err != nil {
			t.Errorf("Keep of settled ballots: %v", err)
		}
		cc, _ = s.Choices(ctx, p, later, nil)
		checkChoices(t, cc, map[string]string{"held": "1 map[b:1]"}) // kept once
		held, _ := s.Held(ctx, p, 10)
		if len(held) != 2 || held[0].ID != pend[0] || held[1].ID != pend[1] || fmt.Sprint(held[0].Signals) != "[shared_source skewed]" {
			t.Errorf("Held = %+v; want the kept ballots, skewed", held)
		}
		if list, _ := s.Pending(ctx, p, 10); len(list) != 0 {
			t.Errorf("Pending = %+v, want none", list)
		}
		snap, _ := s.Snapshot(ctx, p, later)
		if snap.Ballots != 3 || snap.Held != 2 || snap.Pending != 0 || snap.Tally["b"] != 2 {
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
		if fmt.Sprint(by) != "[system system]" {
			t.Errorf("releases logged by %q, want the system's two", by)
		}
		// The kept ballot is the organiser's now: Review settles it.
		if r, err := s.Review(ctx, p, pend[0], false, later); err != nil || r.State != vote.BallotVoid {
			t.Errorf("void of the kept ballot = %+v, %v", r, err)
		}
	})
}

// checkChoices compares what Choices read, as "<ballots> <tally>", with want: by source, and
// "poll", "held" and "total" for the poll's hour, its held ballots of the hour and its counted
// ballots.
func checkChoices(t *testing.T, cc vote.ChoiceCounts, want map[string]string) {
	t.Helper()
	for name, w := range want {
		c := cc.Sources[name]
		switch name {
		case "poll":
			c = cc.Poll
		case "held":
			c = cc.Held
		case "total":
			c = cc.Total
		}
		if got := fmt.Sprint(c.Ballots, " ", c.Tally); got != w {
			t.Errorf("choices of %s = %s, want %s", name, got, w)
		}
	}
}

// casted is a ballot and what Cast counted of it.
type casted struct {
	vote.Ballot
	Got vote.Counted
}
