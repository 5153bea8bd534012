package server

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
)

// The kept answer is the poll's view in the state asked for: encoded once per state, again when
// the state changes (an organiser pauses the vote, reveals results, raises the difficulty).
func TestPollViewsFollowTheState(t *testing.T) {
	polls, err := ballotfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p := polls[0]
	pv := newPollViews(polls)
	states := []vote.State{
		{Status: vote.StatusOpen, Results: vote.ResultsHidden, Difficulty: 0},
		{Status: vote.StatusPaused, Results: vote.ResultsHidden, Difficulty: 0},
		{Status: vote.StatusPaused, Results: vote.ResultsLive, Difficulty: 0},
		{Status: vote.StatusPaused, Results: vote.ResultsLive, Difficulty: 3},
		{Status: vote.StatusOpen, Results: vote.ResultsHidden, Difficulty: 0},
	}
	for _, st := range states {
		got, err := pv.get(p, st)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(newPollView(p, st))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("state %+v: got %s, want %s", st, got, want)
		}
		again, _ := pv.get(p, st)
		if reflect.ValueOf(again).Pointer() != reflect.ValueOf(got).Pointer() {
			t.Errorf("state %+v: encoded again for the same state", st)
		}
	}
}
