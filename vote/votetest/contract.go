package votetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// Contract runs the behaviour every vote.Store must show. store returns the store under test; it
// is called once per subtest and may return the same store each time (test polls have unique ids).
func Contract(t *testing.T, store func(t *testing.T) vote.Store) {
	ctx := context.Background()
	at := time.Date(2023, 11, 20, 10, 30, 15, 0, time.UTC)
	ballot := func(choices ...string) vote.Ballot { return newBallot(at, choices...) }

	t.Run("cast counts and gives a receipt", func(t *testing.T) {
		s, p := store(t), Poll(t, "max_choices: 2")
		b := ballot("a", "c")
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
		snap, err := s.Snapshot(ctx, p, at.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if snap.Ballots != 1 || snap.Held != 0 || snap.Tally["a"] != 1 || snap.Tally["b"] != 0 || snap.Tally["c"] != 1 || len(snap.Tally) != 3 {
			t.Errorf("snapshot after one ballot: %+v", snap)
		}
		if snap.Poll != p.ID || snap.State != p.Initial || !snap.At.Equal(at.Add(time.Second)) {
			t.Errorf("snapshot poll/state/at: %+v", snap)
		}
		if snap.Rate != 1 {
			t.Errorf("rate one second after one ballot = %v, want 1", snap.Rate)
		}
		for _, got := range []func() (vote.Receipt, error){
			func() (vote.Receipt, error) { return s.Receipt(ctx, p, b.Receipt) },
			func() (vote.Receipt, error) { return s.VoterBallot(ctx, p, b.Voter, "") },
		} {
			r, err := got()
			if err != nil {
				t.Fatal(err)
			}
			if r.ID != b.Receipt || r.Poll != p.ID || !r.RecordedAt.Equal(at) || !r.Counted || fmt.Sprint(r.Choices) != "[a c]" {
				t.Errorf("receipt = %+v", r)
			}
		}
	})

	t.Run("unknown receipts and voters", func(t *testing.T) {
		s, p := store(t), Poll(t)
		if _, err := s.Receipt(ctx, p, "nope"); !errors.Is(err, vote.ErrReceiptNotFound) {
			t.Errorf("Receipt(unknown) = %v", err)
		}
		if _, err := s.VoterBallot(ctx, p, "nobody", ""); !errors.Is(err, vote.ErrReceiptNotFound) {
			t.Errorf("VoterBallot(unknown) = %v", err)
		}
	})

	t.Run("one voter, 100 concurrent attempts, one ballot", func(t *testing.T) {
		s, p := store(t), Poll(t)
		voter := rand.Text()
		var wg sync.WaitGroup
		errs := make([]error, 100)
		for i := range errs {
			wg.Go(func() {
				b := ballot("b")
				b.Voter = voter
				_, errs[i] = s.Cast(ctx, p, b)
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, vote.ErrAlreadyVoted):
				t.Errorf("attempt: %v", err)
			}
		}
		snap, _ := s.Snapshot(ctx, p, at)
		if ok != 1 || snap.Ballots != 1 || snap.Tally["b"] != 1 {
			t.Errorf("%d attempts recorded, ballots %d, tally %v; want exactly one", ok, snap.Ballots, snap.Tally)
		}
	})

	t.Run("1000 voters in parallel", func(t *testing.T) {
		s, p := store(t), Poll(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		acked := map[string]int{}
		sem := make(chan struct{}, 50)
		for i := range 1000 {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				c := string(rune('a' + i%3))
				if _, err := s.Cast(ctx, p, ballot(c)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[c]++
				mu.Unlock()
			})
		}
		wg.Wait()
		snap, err := s.Snapshot(ctx, p, at)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for c, n := range snap.Tally {
			sum += n
			if int(n) != acked[c] {
				t.Errorf("tally[%s] = %d, acknowledged %d", c, n, acked[c])
			}
		}
		if sum != 1000 || snap.Ballots != 1000 {
			t.Errorf("tally sum %d, ballots %d, acknowledged 1000", sum, snap.Ballots)
		}
	})

	t.Run("daily poll: again after the poll's midnight", func(t *testing.T) {
		s, p := store(t), Poll(t, "limit: daily", "time_zone: Asia/Shanghai")
		voter := rand.Text()
		cast := func(at time.Time) error {
			b := ballot("a")
			b.Voter, b.At, b.Period = voter, at, p.Period(at)
			_, err := s.Cast(ctx, p, b)
			return err
		}
		day1 := time.Date(2023, 11, 20, 15, 0, 0, 0, time.UTC) // 23:00 in Shanghai
		if err := cast(day1); err != nil {
			t.Fatal(err)
		}
		if err := cast(day1.Add(59 * time.Minute)); !errors.Is(err, vote.ErrAlreadyVoted) {
			t.Errorf("second ballot before midnight in Shanghai: %v, want ErrAlreadyVoted", err)
		}
		if err := cast(day1.Add(61 * time.Minute)); err != nil {
			t.Errorf("ballot after midnight in Shanghai: %v", err)
		}
		if err := cast(day1.Add(2 * time.Hour)); !errors.Is(err, vote.ErrAlreadyVoted) {
			t.Errorf("second ballot on day 2: %v, want ErrAlreadyVoted", err)
		}
		if r, err := s.VoterBallot(ctx, p, voter, p.Period(day1)); err != nil || !r.RecordedAt.Equal(day1) {
			t.Errorf("VoterBallot(day 1) = %+v, %v", r, err)
		}
	})

	t.Run("paused and closed polls refuse", func(t *testing.T) {
		s, p := store(t), Poll(t)
		for _, st := range []vote.Status{vote.StatusPaused, vote.StatusClosed} {
			if _, err := s.SetStatus(ctx, p, st); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Cast(ctx, p, ballot("a")); !errors.Is(err, vote.ErrVotingClosed) {
				t.Errorf("Cast while %s: %v, want ErrVotingClosed", st, err)
			}
		}
		if _, err := s.SetStatus(ctx, p, vote.StatusOpen); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cast(ctx, p, ballot("a")); err != nil {
			t.Errorf("Cast after reopening: %v", err)
		}
		snap, _ := s.Snapshot(ctx, p, at)
		if snap.Ballots != 1 {
			t.Errorf("ballots = %d, want 1", snap.Ballots)
		}
	})

	t.Run("initially closed poll refuses", func(t *testing.T) {
		s, p := store(t), Poll(t, "status: closed")
		if _, err := s.Cast(ctx, p, ballot("a")); !errors.Is(err, vote.ErrVotingClosed) {
			t.Errorf("Cast on a closed poll: %v", err)
		}
	})

	t.Run("state changes are kept", func(t *testing.T) {
		s, p := store(t), Poll(t)
		if _, err := s.SetResults(ctx, p, vote.ResultsRevealed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetDifficulty(ctx, p, 1234); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetWithheld(ctx, p, 3, 4, 1700000000001); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCorrected(ctx, p, 1700000000123); err != nil {
			t.Fatal(err)
		}
		for _, consistent := range []bool{false, true} {
			if st, err := s.SetAudited(ctx, p, 1700000000456, consistent); err != nil || st.Audited != 1700000000456 || st.AuditConsistent != consistent || st.Corrected != 1700000000123 {
				t.Errorf("SetAudited(%v) = %+v, %v", consistent, st, err)
			}
		}
		if got, _ := s.State(ctx, p); got.Audited != 1700000000456 || !got.AuditConsistent {
			t.Errorf("State after SetAudited = %+v", got)
		}
		// A change of status clears the audit: it was of the poll as it was.
		st, err := s.SetStatus(ctx, p, vote.StatusPaused)
		if err != nil {
			t.Fatal(err)
		}
		want := vote.State{Status: vote.StatusPaused, Results: vote.ResultsRevealed, Difficulty: 1234, Withheld: 3, Before: 4, StepAt: 1700000000001, Corrected: 1700000000123}
		if st != want {
			t.Errorf("SetStatus returned %+v, want %+v", st, want)
		}
		if got, err := s.State(ctx, p); err != nil || got != want {
			t.Errorf("State = %+v, %v; want %+v", got, err, want)
		}
	})

	t.Run("effective status in the snapshot", func(t *testing.T) {
		s, p := store(t), Poll(t, "opens_at: 2023-11-01T00:00:00Z", "closes_at: 2023-12-01T00:00:00Z")
		for now, want := range map[time.Time]vote.Status{
			time.Date(2023, 10, 31, 0, 0, 0, 0, time.UTC): vote.StatusScheduled,
			time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC): vote.StatusOpen,
			time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC):  vote.StatusClosed,
		} {
			if snap, err := s.Snapshot(ctx, p, now); err != nil || snap.State.Status != want {
				t.Errorf("status at %s = %s, %v; want %s", now, snap.State.Status, err, want)
			}
		}
	})

	t.Run("a challenge is good for one attempt", func(t *testing.T) {
		s, p := store(t), Poll(t)
		b := ballot("a")
		b.Challenge, b.ChallengeUntil = rand.Text(), time.Now().Add(10*time.Minute)
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
		replay := ballot("b")
		replay.Challenge, replay.ChallengeUntil = b.Challenge, b.ChallengeUntil
		if _, err := s.Cast(ctx, p, replay); !errors.Is(err, vote.ErrChallengeFailed) {
			t.Errorf("replayed challenge: %v, want ErrChallengeFailed", err)
		}
		if err := s.UseChallenge(ctx, p, b.Challenge, b.ChallengeUntil); !errors.Is(err, vote.ErrChallengeFailed) {
			t.Errorf("UseChallenge of a used challenge: %v", err)
		}
		fresh := rand.Text()
		if err := s.UseChallenge(ctx, p, fresh, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		late := ballot("c")
		late.Challenge, late.ChallengeUntil = fresh, time.Now().Add(time.Minute)
		if _, err := s.Cast(ctx, p, late); !errors.Is(err, vote.ErrChallengeFailed) {
			t.Errorf("Cast with a challenge used by UseChallenge: %v", err)
		}
		if snap, _ := s.Snapshot(ctx, p, at); snap.Ballots != 1 {
			t.Errorf("ballots = %d, want 1", snap.Ballots)
		}
	})

	t.Run("held ballots are recorded, not counted", func(t *testing.T) {
		s, p := store(t), Poll(t)
		b := ballot("a")
		b.Held = true
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
		again := ballot("a")
		again.Voter, again.Held = b.Voter, true
		if _, err := s.Cast(ctx, p, again); !errors.Is(err, vote.ErrAlreadyVoted) {
			t.Errorf("second held ballot of one voter: %v", err)
		}
		snap, _ := s.Snapshot(ctx, p, at)
		if snap.Ballots != 0 || snap.Held != 1 || snap.Tally["a"] != 0 {
			t.Errorf("snapshot with one held ballot: %+v", snap)
		}
		if r, err := s.Receipt(ctx, p, b.Receipt); err != nil || r.Counted {
			t.Errorf("held receipt = %+v, %v; want recorded, not counted", r, err)
		}
		if tt, _ := s.Turnout(ctx, p, time.Minute); tt[at.Truncate(time.Minute).Unix()] != 1 || snap.Received() != 1 {
			t.Errorf("turnout %v, received %d: a held ballot is a ballot received (no oracle)", tt, snap.Received())
		}
	})

	t.Run("held ballots are released or voided", func(t *testing.T) {
		s, p := store(t), Poll(t, "max_choices: 2")
		var held []vote.Ballot
		for i, choices := range [][]string{{"a"}, {"b", "c"}, {"c"}} {
			b := ballot(choices...)
			b.Held, b.At = true, at.Add(time.Duration(i)*time.Second)
			if _, err := s.Cast(ctx, p, b); err != nil {
				t.Fatal(err)
			}
			held = append(held, b)
		}
		counted := ballot("a")
		if _, err := s.Cast(ctx, p, counted); err != nil {
			t.Fatal(err)
		}
		list, err := s.Held(ctx, p, 10)
		if err != nil || len(list) != 3 || list[0].ID != held[0].Receipt || list[2].ID != held[2].Receipt || list[1].State != vote.BallotHeld {
			t.Fatalf("Held = %+v, %v", list, err)
		}
		if list, _ := s.Held(ctx, p, 2); len(list) != 2 {
			t.Errorf("Held(limit 2) gave %d", len(list))
		}
		before, _ := s.Snapshot(ctx, p, at)
		r, err := s.Review(ctx, p, held[1].Receipt, true, at.Add(time.Hour))
		if err != nil || r.State != vote.BallotReleased || !r.Counted || fmt.Sprint(r.Choices) != "[b c]" {
			t.Fatalf("release = %+v, %v", r, err)
		}
		r, err = s.Review(ctx, p, held[0].Receipt, false, at.Add(time.Hour))
		if err != nil || r.State != vote.BallotVoid || r.Counted {
			t.Fatalf("void = %+v, %v", r, err)
		}
		for _, id := range []string{held[0].Receipt, held[1].Receipt, counted.Receipt} {
			if _, err := s.Review(ctx, p, id, true, at); !errors.Is(err, vote.ErrNotHeld) {
				t.Errorf("Review of a ballot not awaiting review: %v", err)
			}
		}
		if _, err := s.Review(ctx, p, "nope", true, at); !errors.Is(err, vote.ErrReceiptNotFound) {
			t.Errorf("Review of an unknown receipt: %v", err)
		}
		snap, _ := s.Snapshot(ctx, p, at)
		if snap.Ballots != 2 || snap.Held != 1 || snap.Void != 1 || fmt.Sprint(snap.Tally) != "map[a:1 b:1 c:1]" {
			t.Errorf("after one release and one void: %+v", snap)
		}
		// No oracle: the public numbers (every ballot received, the rate) never move on a review,
		// or they would tell how many ballots were voided while the log is sealed.
		if before.Received() != 4 || snap.Received() != 4 || snap.Rate != before.Rate {
			t.Errorf("received %d, rate %v before the reviews; %d, %v after: a review shows", before.Received(), before.Rate, snap.Received(), snap.Rate)
		}
		if list, _ := s.Held(ctx, p, 10); len(list) != 1 || list[0].ID != held[2].Receipt {
			t.Errorf("Held after review = %+v", list)
		}
		if tt, _ := s.Turnout(ctx, p, time.Minute); tt[at.Truncate(time.Minute).Unix()] != 4 {
			t.Errorf("turnout = %v: every ballot received counts at its recording time, the void one too", tt)
		}
		if r, _ := s.Receipt(ctx, p, held[0].Receipt); r.State != vote.BallotVoid {
			t.Errorf("receipt of the void ballot = %+v", r)
		}
	})

	t.Run("the log, page by page", func(t *testing.T) {
		s, p := store(t), Poll(t, "limit: daily")
		var want []string
		for i := range 5 {
			b := ballot("b")
			b.Held = i == 3
			b.Period = p.Period(b.At)
			if _, err := s.Cast(ctx, p, b); err != nil {
				t.Fatal(err)
			}
			want = append(want, b.Receipt)
			if b.Held {
				if _, err := s.Review(ctx, p, b.Receipt, true, at.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				want = append(want, b.Receipt)
			}
		}
		var got []vote.LogEntry
		for after := ""; ; {
			page, err := s.Log(ctx, p, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > 2 {
				t.Fatalf("page of %d entries, limit 2", len(page))
			}
			got = append(got, page...)
			after = page[len(page)-1].ID
		}
		if len(got) != len(want) {
			t.Fatalf("log has %d entries, want %d", len(got), len(want))
		}
		for i, e := range got {
			if e.Receipt != want[i] {
				t.Errorf("entry %d: receipt %s, want %s", i, e.Receipt, want[i])
			}
		}
		first, held, review := got[0], got[3], got[4]
		if first.State != vote.BallotCounted || first.Voter == "" || first.Period != "2023-11-20" || fmt.Sprint(first.Choices) != "[b]" || !first.At.Equal(at) {
			t.Errorf("ballot entry = %+v", first)
		}
		if held.State != vote.BallotHeld || review.State != vote.BallotReleased || review.Voter != "" || len(review.Choices) != 0 || !review.At.Equal(at.Add(time.Minute)) {
			t.Errorf("held entry %+v, review entry %+v", held, review)
		}
	})

	t.Run("turnout per minute and per hour", func(t *testing.T) {
		s, p := store(t), Poll(t)
		for _, d := range []time.Duration{0, 10 * time.Second, 2 * time.Minute, 60 * time.Minute} {
			b := ballot("a")
			b.At = at.Add(d)
			if _, err := s.Cast(ctx, p, b); err != nil {
				t.Fatal(err)
			}
		}
		m0 := at.Truncate(time.Minute).Unix()
		h0 := at.Truncate(time.Hour).Unix()
		for step, want := range map[time.Duration]map[int64]int64{
			time.Minute: {m0: 2, m0 + 120: 1, at.Add(60 * time.Minute).Truncate(time.Minute).Unix(): 1},
			time.Hour:   {h0: 3, h0 + 3600: 1},
		} {
			got, err := s.Turnout(ctx, p, step)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("turnout per %s = %v, want %v", step, got, want)
			}
		}
		snap, _ := s.Snapshot(ctx, p, at.Add(2*time.Minute+30*time.Second))
		if snap.Rate != 1 { // the minute at +2m holds 1; the minute before it, none
			t.Errorf("rate = %v, want 1", snap.Rate)
		}
	})

	t.Run("refusals in order; a refused attempt consumes its challenge", func(t *testing.T) {
		s, p := store(t), Poll(t)
		first := ballot("a")
		if _, err := s.Cast(ctx, p, first); err != nil {
			t.Fatal(err)
		}
		withChallenge := func(c string) vote.Ballot {
			b := ballot("b")
			b.Challenge, b.ChallengeUntil = c, time.Now().Add(time.Minute)
			return b
		}
		// Already voted, with a fresh challenge: refused, and the challenge is used up.
		c1 := rand.Text()
		again := withChallenge(c1)
		again.Voter = first.Voter
		if _, err := s.Cast(ctx, p, again); !errors.Is(err, vote.ErrAlreadyVoted) {
			t.Errorf("voter again with a fresh challenge: %v, want ErrAlreadyVoted", err)
		}
		if _, err := s.Cast(ctx, p, withChallenge(c1)); !errors.Is(err, vote.ErrChallengeFailed) {
			t.Errorf("new voter with the challenge of a refused attempt: %v, want ErrChallengeFailed", err)
		}
		// A used challenge is refused before the voter is looked at.
		again.Receipt = rand.Text()
		if _, err := s.Cast(ctx, p, again); !errors.Is(err, vote.ErrChallengeFailed) {
			t.Errorf("voter again with a used challenge: %v, want ErrChallengeFailed", err)
		}
		// A closed poll is refused before the challenge is looked at.
		if _, err := s.SetStatus(ctx, p, vote.StatusPaused); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cast(ctx, p, withChallenge(c1)); !errors.Is(err, vote.ErrVotingClosed) {
			t.Errorf("paused poll, used challenge: %v, want ErrVotingClosed", err)
		}
		if snap, _ := s.Snapshot(ctx, p, at); snap.Ballots != 1 || snap.Held != 0 {
			t.Errorf("ballots %d, held %d; want 1, 0", snap.Ballots, snap.Held)
		}
	})

	t.Run("state is as stored, the snapshot's status effective", func(t *testing.T) {
		s, p := store(t), Poll(t, "opens_at: 2099-01-01T00:00:00Z")
		if st, err := s.State(ctx, p); err != nil || st.Status != vote.StatusOpen {
			t.Errorf("State before opens_at = %+v, %v; want status open", st, err)
		}
		if snap, err := s.Snapshot(ctx, p, at); err != nil || snap.State.Status != vote.StatusScheduled {
			t.Errorf("snapshot status before opens_at = %s, %v; want scheduled", snap.State.Status, err)
		}
	})

	t.Run("rate weighs the minute before", func(t *testing.T) {
		s, p := store(t), Poll(t)
		if _, err := s.Cast(ctx, p, ballot("a")); err != nil { // at 10:30:15
			t.Fatal(err)
		}
		for now, want := range map[time.Time]float64{
			at.Truncate(time.Minute).Add(90 * time.Second): 0.5, // 10:31:30: half of the minute before
			at.Truncate(time.Minute).Add(2 * time.Minute):  0,   // 10:32:00: that minute is out of the window
		} {
			if snap, err := s.Snapshot(ctx, p, now); err != nil || snap.Rate != want {
				t.Errorf("rate at %s = %v, %v; want %v", now.Format(time.TimeOnly), snap.Rate, err, want)
			}
		}
	})

	t.Run("the same ballot sent again is recorded once", func(t *testing.T) {
		s, p := store(t), Poll(t)
		b := ballot("a")
		b.Challenge, b.ChallengeUntil = rand.Text(), time.Now().Add(time.Minute)
		for i := range 2 {
			if _, err := s.Cast(ctx, p, b); err != nil {
				t.Fatalf("sending %d: %v", i+1, err)
			}
		}
		if _, err := s.SetStatus(ctx, p, vote.StatusClosed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cast(ctx, p, b); err != nil {
			t.Errorf("sent again after the poll closed: %v, want nil (it was recorded)", err)
		}
		if snap, _ := s.Snapshot(ctx, p, at); snap.Ballots != 1 || snap.Tally["a"] != 1 {
			t.Errorf("after sending one ballot three times: %+v", snap)
		}
	})

	t.Run("ping", func(t *testing.T) {
		if err := store(t).Ping(ctx); err != nil {
			t.Error(err)
		}
	})

	contractFraud(t, store)
	contractLog(t, store)
	contractChoice(t, store)
	contractVersion(t, store)
}

// newBallot is a counted ballot of a new voter for choices, accepted at at.
func newBallot(at time.Time, choices ...string) vote.Ballot {
	return vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: choices, At: at}
}
