package vote_test

import (
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// TestSteady: what time alone changes in a snapshot makes it unsteady, and only until it has.
func TestSteady(t *testing.T) {
	at := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	quiet := vote.Snapshot{At: at, State: vote.State{Status: vote.StatusOpen, Results: vote.ResultsRevealed, Withheld: 1}}
	step := quiet
	step.State.Before, step.State.StepAt = 2, at.Add(-100*time.Millisecond).UnixMilli() // in its grace at At
	rate := quiet
	rate.Rate = 0.4
	turn := quiet
	turn.Turn = at.Add(time.Minute)
	for _, c := range []struct {
		name string
		s    vote.Snapshot
		now  time.Time
		want bool
	}{
		{"nothing moves with time", quiet, at.Add(time.Hour), true},
		{"the rate's window holds ballots", rate, at.Add(time.Millisecond), false},
		{"a reveal step's grace ends", step, at.Add(vote.StepGrace), false},
		{"within the grace", step, at.Add(vote.StepGrace / 2), true},
		{"before the schedule turns", turn, at.Add(time.Minute - time.Millisecond), true},
		{"the schedule turns", turn, at.Add(time.Minute), false},
	} {
		if got := c.s.Steady(c.now); got != c.want {
			t.Errorf("%s: Steady = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTurn(t *testing.T) {
	opens, closes := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	p := &vote.Poll{OpensAt: &opens, ClosesAt: &closes}
	for _, c := range []struct {
		stored vote.Status
		at     time.Time
		want   time.Time
	}{
		{vote.StatusOpen, opens.Add(-time.Second), opens},
		{vote.StatusOpen, opens, closes},
		{vote.StatusOpen, closes, time.Time{}},
		{vote.StatusPaused, opens.Add(-time.Second), time.Time{}},
	} {
		if got := p.Turn(c.stored, c.at); !got.Equal(c.want) {
			t.Errorf("Turn(%s, %s) = %s, want %s", c.stored, c.at.Format(time.TimeOnly), got, c.want)
		}
	}
}
