package fraud_test

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// TestSettleColdStart: the poll had 2,000 ballots in the afternoon, and in the evening's hour the
// rest of the world casts 30 while the venue's hall votes: fewer than RestMinBallots to compare
// with in the hour. The venue's 300 phones behind one address, spread over the candidates, are
// public within 10 s of their ballots (all but a few: the budget's), compared with the poll's counted ballots; a source of 40
// ballots for one small candidate in the same hour stays held, skewed (but for its first one or
// two, as anywhere).
func TestSettleColdStart(t *testing.T) { onEachStore(t, testSettleColdStart) }

func testSettleColdStart(t *testing.T, st scenarioStore) {
	ctx := context.Background()
	p := builtinPoll(t, st)
	r := mrand.New(mrand.NewPCG(3, 300))
	weights := []int{22, 12, 10, 8, 7, 6, 6, 5, 5, 4, 4, 3, 3, 3, 2} // as the scenario's voters
	honest := func() string {
		x := r.IntN(100)
		for i, w := range weights {
			if x < w {
				return p.Candidates[i].ID
			}
			x -= w
		}
		return p.Candidates[0].ID
	}
	n := 0
	cast := func(at time.Time, ip, subnet, group, choice string) vote.Ballot {
		t.Helper()
		n++
		b := vote.Ballot{Receipt: rand.Text(), Voter: fmt.Sprint("voter", n), Choices: []string{choice}, At: at.Truncate(time.Millisecond),
			Source: vote.Source{IP: ip, Subnet: subnet, Group: group, Caps: fraud.Caps(p.Fraud, false)}}
		if _, err := st.Cast(ctx, &p, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	afternoon := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	for i := range 2000 { // each from its own line: counted at once
		cast(afternoon.Add(time.Duration(i)*1800*time.Millisecond), fmt.Sprint("day", i), fmt.Sprint("day", i, "/24"), fmt.Sprint("day", i, "/16"), honest())
	}

	evening := afternoon.Add(4 * time.Hour)
	type attempt struct {
		at                      time.Time
		kind, ip, subnet, group string
		choice                  string
	}
	const venue, farm = "venue", "farm"
	var attempts []attempt
	for i := range 30 {
		attempts = append(attempts, attempt{evening.Add(time.Duration(i) * 10 * time.Second), "rest",
			fmt.Sprint("eve", i), fmt.Sprint("eve", i, "/24"), fmt.Sprint("eve", i, "/16"), honest()})
	}
	for i := range 300 { // the hall, over five minutes from 19:01
		attempts = append(attempts, attempt{evening.Add(time.Minute + time.Duration(i)*time.Second), venue, "venue", "venue/24", "venue/16", honest()})
	}
	for i := range 40 { // beside it, a source of 40 for one small candidate
		attempts = append(attempts, attempt{evening.Add(time.Minute + time.Duration(i)*7*time.Second), farm, "farm", "farm/24", "farm/16", p.Candidates[13].ID})
	}
	slices.SortStableFunc(attempts, func(a, b attempt) int { return a.at.Compare(b.at) })
	type recorded struct {
		at   time.Time
		kind string
	}
	ballots := map[string]recorded{}
	// the passes every 2 s, as the server runs them, until a minute after the last ballot
	next := evening
	settle := func(until time.Time) {
		for ; !next.After(until); next = next.Add(2 * time.Second) {
			if _, err := fraud.Settle(ctx, st, &p, next); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, a := range attempts {
		settle(a.at)
		b := cast(a.at, a.ip, a.subnet, a.group, a.choice)
		ballots[b.Receipt] = recorded{b.At, a.kind}
	}
	settle(attempts[len(attempts)-1].at.Add(time.Minute))
	if cc, _ := st.Choices(ctx, &p, evening.Add(6*time.Minute), nil); cc.Poll.Ballots-cc.Held.Ballots-300 >= fraud.RestMinBallots {
		t.Fatalf("the hour has %d ballots beside the venue's; the test wants fewer than %d", cc.Poll.Ballots-cc.Held.Ballots-300, fraud.RestMinBallots)
	}

	public := publicAt(t, st, &p)
	late, counted := 0, map[string]int{}
	var worst time.Duration
	for id, b := range ballots {
		at, ok := public[id]
		if !ok {
			continue
		}
		counted[b.kind]++
		if b.kind == venue {
			worst = max(worst, at.Sub(b.at))
			if at.Sub(b.at) > 10*time.Second {
				late++
			}
		}
	}
	// The budget (fraud.BudgetMargin) holds back a few of the venue's ballots until it has
	// fraud.Power ballots (about 32 here, half a minute at its pace): at most 1 in 40 waits
	// longer than 10 s, none longer than 20 s.
	if counted[venue] != 300 || late > 300/40 || worst <= 0 || worst > 20*time.Second {
		t.Errorf("venue: %d of 300 public, %d later than 10 s (the latest %v); want all, at most 7 later than 10 s, none later than 20 s", counted[venue], late, worst)
	}
	held, err := st.Held(ctx, &p, 1000)
	if err != nil {
		t.Fatal(err)
	}
	skewed := 0
	for _, h := range held {
		if ballots[h.ID].kind == farm && fraud.HeldFor(p.Fraud, h.Signals) == vote.SignalSkewed {
			skewed++
		}
	}
	// its first is counted at once; a pass may see it with two ballots, which say nothing yet
	if counted[farm] > 2 || skewed != 40-counted[farm] {
		t.Errorf("the skewed source: %d counted, %d held skewed; want two counted at most, the rest held skewed", counted[farm], skewed)
	}
	t.Logf("venue: %d public, the latest %v after its ballot; the skewed source: %d counted, %d held", counted[venue], worst, counted[farm], skewed)
}
