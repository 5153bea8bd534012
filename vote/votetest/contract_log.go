package votetest

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// contractLog is the part of the contract that the transparency log (package translog) relies on:
// actions are log entries in order, and a ballot's receipt holds everything its log entry does
// (so a proof can rebuild the ballot's leaf from the receipt).
func contractLog(t *testing.T, store func(t *testing.T) vote.Store) {
	ctx := context.Background()
	at := time.Date(2023, 11, 20, 10, 30, 15, 123_456_789, time.UTC)

	t.Run("log: actions are entries, in order", func(t *testing.T) {
		s, p := store(t), Poll(t, "max_choices: 2")
		b := vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: []string{"c", "a"}, At: at}
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
		a := vote.AdminAction{Action: "results", Value: "revealed", Role: "operator", At: at.Add(time.Second)}
		if err := s.LogAction(ctx, p, a); err != nil {
			t.Fatal(err)
		}
		h := vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: []string{"b"}, At: at.Add(2 * time.Second), Held: true}
		if _, err := s.Cast(ctx, p, h); err != nil {
			t.Fatal(err)
		}
		log, err := s.Log(ctx, p, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 3 {
			t.Fatalf("log = %+v", log)
		}
		e := log[1]
		if e.State != vote.LogAdmin || e.Action != a.Action || e.Value != a.Value || e.Role != a.Role ||
			!e.At.Equal(a.At.Truncate(time.Millisecond)) || e.Receipt != "" || e.Voter != "" || e.Choices != nil {
			t.Errorf("action entry = %+v", e)
		}
		for _, e := range []vote.LogEntry{log[0], log[2]} {
			r, err := s.Receipt(ctx, p, e.Receipt)
			if err != nil {
				t.Fatal(err)
			}
			if !r.RecordedAt.Truncate(time.Millisecond).Equal(e.At.Truncate(time.Millisecond)) || !slices.Equal(r.Choices, e.Choices) || r.State != e.State {
				t.Errorf("receipt %+v and its log entry %+v disagree", r, e)
			}
		}
		// A review changes the receipt's state; the ballot entry stays as recorded.
		if _, err := s.Review(ctx, p, h.Receipt, true, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.Receipt(ctx, p, h.Receipt); r.State != vote.BallotReleased {
			t.Errorf("released receipt = %+v", r)
		}
	})
}
