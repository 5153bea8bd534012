package vote_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

func TestPlaces(t *testing.T) {
	got := vote.Places(map[string]int64{"a": 5, "b": 2, "c": 5, "d": 0, "e": 2, "f": 1})
	want := [][]string{{"d"}, {"f"}, {"b", "e"}, {"a", "c"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Places = %v, want %v", got, want)
	}
}

// TestPublicTally is the one visibility rule: nothing while hidden, all while live, the places
// the stage has shown while revealed.
func TestPublicTally(t *testing.T) {
	tally := map[string]int64{"a": 5, "b": 2, "c": 5, "d": 0}
	for _, tc := range []struct {
		results  vote.Visibility
		withheld int
		want     []string // nil: no public tally
	}{
		{vote.ResultsHidden, 0, nil},
		{vote.ResultsLive, 2, []string{"a", "b", "c", "d"}},
		{vote.ResultsRevealed, 3, []string{}},
		{vote.ResultsRevealed, 9, []string{}},
		{vote.ResultsRevealed, 2, []string{"d"}},
		{vote.ResultsRevealed, 1, []string{"b", "d"}},
		{vote.ResultsRevealed, 0, []string{"a", "b", "c", "d"}},
	} {
		s := vote.Snapshot{State: vote.State{Results: tc.results, Withheld: tc.withheld}, Tally: tally}
		got := s.PublicTally()
		if (got == nil) != (tc.want == nil) || !slices.Equal(slices.Sorted(maps.Keys(got)), tc.want) && len(got)+len(tc.want) > 0 {
			t.Errorf("%s, %d withheld: public tally %v, want %v", tc.results, tc.withheld, got, tc.want)
		}
		for id, n := range got {
			if n != tally[id] {
				t.Errorf("public count of %s = %d, want %d", id, n, tally[id])
			}
		}
		if final := tc.results == vote.ResultsRevealed && tc.withheld == 0; s.State.Final() != final {
			t.Errorf("%s, %d withheld: Final = %v", tc.results, tc.withheld, !final)
		}
	}
}

// TestStepGrace: a step forward becomes public StepGrace after it was taken; a step back at once.
func TestStepGrace(t *testing.T) {
	at := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	tally := map[string]int64{"a": 5, "b": 2, "d": 0}
	for _, tc := range []struct {
		before, withheld int
		after            time.Duration
		want             int
	}{
		{2, 1, 0, 2},
		{2, 1, vote.StepGrace - time.Millisecond, 2},
		{2, 1, vote.StepGrace, 1},
		{1, 2, 0, 2}, // back: at once
		{1, 0, 0, 1}, // the last place: after the grace too
		{0, 3, 0, 3}, // the start
	} {
		s := vote.Snapshot{At: at.Add(tc.after), Tally: tally,
			State: vote.State{Results: vote.ResultsRevealed, Withheld: tc.withheld, Before: tc.before, StepAt: at.UnixMilli()}}
		if got := s.PublicWithheld(); got != tc.want {
			t.Errorf("%d -> %d, %v after: public withheld %d, want %d", tc.before, tc.withheld, tc.after, got, tc.want)
		}
		if got, want := len(s.PublicTally()), 3-tc.want; got != want { // three places of one candidate each
			t.Errorf("%d -> %d, %v after: %d candidates public, want %d", tc.before, tc.withheld, tc.after, got, want)
		}
		if s.PublicFinal() != (tc.want == 0) {
			t.Errorf("%d -> %d, %v after: PublicFinal %v", tc.before, tc.withheld, tc.after, s.PublicFinal())
		}
	}
}

// TestStagedAndStatement checks how many places a reveal stages (a tie is one place; RevealTop
// stages the top ones only) and the statement's value in the log.
func TestStagedAndStatement(t *testing.T) {
	tally := map[string]int64{"a": 3, "b": 3, "c": 1, "d": 0}
	for _, tc := range []struct{ top, want int }{{0, 3}, {2, 2}, {5, 3}} {
		if got := (&vote.Poll{RevealTop: tc.top}).Staged(tally); got != tc.want {
			t.Errorf("RevealTop %d: Staged = %d, want %d", tc.top, got, tc.want)
		}
	}
	snap := vote.Snapshot{Ballots: 7, Held: 2, Tally: tally}
	if got, want := snap.Statement(), `{"counted":7,"held":2,"tally":{"a":3,"b":3,"c":1,"d":0}}`; got != want {
		t.Errorf("Statement = %s, want %s", got, want)
	}
}
