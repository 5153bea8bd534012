package vote_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

// booth returns a Booth on a memory store at a fixed time, reading the poll's state from the
// store as it is now.
func booth(s *memstore.Store, now time.Time) *vote.Booth {
	return &vote.Booth{
		Ballots: s,
		State: func(ctx context.Context, p *vote.Poll) (vote.State, error) {
			st, err := s.State(ctx, p)
			st.Status = p.Effective(st.Status, now)
			return st, err
		},
		Judge: fraud.New(fraud.Config{}),
		Now:   func() time.Time { return now },
	}
}

// solved is a proof of work that solves challenge id (issued a second before now) or nothing.
type solved struct {
	id  string
	now time.Time
}

func (s solved) Check(*vote.Poll, string, int, time.Time) (vote.Challenge, bool) {
	if s.id == "" {
		return vote.Challenge{}, false
	}
	return vote.Challenge{ID: s.id, Issued: s.now.Add(-time.Second), Expires: s.now.Add(9 * time.Minute)}, true
}

// person is what a browser's request shows the fraud checks.
var person = vote.Attempt{AcceptLanguage: true, UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}

func TestBoothCast(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2023, 11, 20, 10, 30, 15, 0, time.UTC)
	request := func(p *vote.Poll, choices ...string) vote.Request {
		return vote.Request{Poll: p, Voter: rand.Text(), Choices: choices, Attempt: person}
	}

	t.Run("records the ballot and answers its receipt", func(t *testing.T) {
		s, p := memstore.New(), votetest.Poll(t, "max_choices: 2")
		r := request(p, "a", "c")
		res, err := booth(s, now).Cast(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Judged || res.Held() || res.Receipt == "" || fmt.Sprint(res.Choices) != "[a c]" {
			t.Errorf("result = %+v", res)
		}
		got, err := s.VoterBallot(ctx, p, r.Voter, "")
		if err != nil || got.ID != res.Receipt || !got.RecordedAt.Equal(now) || !got.Counted {
			t.Errorf("recorded %+v, %v; want receipt %s counted at %s", got, err, res.Receipt, now)
		}
		if _, err := booth(s, now).Cast(ctx, r); !errors.Is(err, vote.ErrAlreadyVoted) {
			t.Errorf("the same voter again: %v, want ErrAlreadyVoted", err)
		}
	})

	t.Run("refusals in order, judged from the proof of work on", func(t *testing.T) {
		s, p := memstore.New(), votetest.Poll(t, "difficulty: 10")
		b := booth(s, now)
		closed := votetest.Poll(t, "status: closed")
		for _, tt := range []struct {
			name   string
			r      vote.Request
			want   error
			judged bool
		}{
			{"closed, with everything else wrong", vote.Request{Poll: closed, Voter: "v", Choices: []string{"x"}}, vote.ErrVotingClosed, false},
			{"no proof and a bad choice", request(p, "x"), vote.ErrChallengeFailed, true},
			{"a honeypot and a good proof", func() vote.Request {
				r := request(p, "a")
				r.Proof, r.Attempt.Honeypot = solved{rand.Text(), now}, "http://spam.example"
				return r
			}(), vote.ErrChallengeFailed, true},
			{"a good proof and a bad choice", func() vote.Request {
				r := request(p, "a", "a")
				r.Proof = solved{rand.Text(), now}
				return r
			}(), vote.ErrInvalidChoice, true},
		} {
			res, err := b.Cast(ctx, tt.r)
			if !errors.Is(err, tt.want) || res.Judged != tt.judged || res.Receipt != "" {
				t.Errorf("%s: %v, judged %v, receipt %q; want %v, judged %v, no receipt", tt.name, err, res.Judged, res.Receipt, tt.want, tt.judged)
			}
		}
		if snap, _ := s.Snapshot(ctx, p, now); snap.Ballots+snap.Held != 0 {
			t.Errorf("refused attempts recorded %d ballots", snap.Ballots+snap.Held)
		}
	})

	t.Run("a refused attempt uses up its challenge", func(t *testing.T) {
		s, p := memstore.New(), votetest.Poll(t, "difficulty: 10")
		r := request(p, "nobody")
		r.Proof = solved{rand.Text(), now}
		if _, err := booth(s, now).Cast(ctx, r); !errors.Is(err, vote.ErrInvalidChoice) {
			t.Fatalf("bad choice: %v", err)
		}
		r.Choices = []string{"a"}
		res, err := booth(s, now).Cast(ctx, r)
		if !errors.Is(err, vote.ErrChallengeFailed) || !res.Judged {
			t.Errorf("the same challenge again: %v (judged %v), want ErrChallengeFailed", err, res.Judged)
		}
	})

	t.Run("too fast after the challenge and no language: held", func(t *testing.T) {
		s, p := memstore.New(), votetest.Poll(t, "difficulty: 10", "fraud: {hold: true}")
		r := request(p, "b")
		r.Proof, r.Attempt.AcceptLanguage = solved{rand.Text(), now}, false
		res, err := booth(s, now).Cast(ctx, r)
		if err != nil || !res.Held() || fmt.Sprint(res.Verdict.Signals) != "[too_fast no_language]" {
			t.Fatalf("%+v, %v; want held on too_fast and no_language", res, err)
		}
		if snap, _ := s.Snapshot(ctx, p, now); snap.Ballots != 0 || snap.Held != 1 {
			t.Errorf("ballots %d, held %d; want 0, 1", snap.Ballots, snap.Held)
		}
	})

	t.Run("sources: over a soft cap held, at the hard cap refused with a retry time", func(t *testing.T) {
		s, p := memstore.New(), votetest.Poll(t, "fraud: {hold: true, ip_per_minute: 1, ip_hard_cap: 2}")
		from := vote.Origin{IP: "ip1", Subnet: "net1"}
		var got []string
		for range 3 {
			r := request(p, "a")
			r.From = from
			res, err := booth(s, now).Cast(ctx, r)
			got = append(got, fmt.Sprintf("%v %v %s %v", err, res.Verdict.Action, res.Verdict.Signals, res.RetryAfter))
		}
		capped := fmt.Sprintf("%v refuse [ip_cap] %v", vote.ErrSourceCapped, 29*time.Minute+45*time.Second)
		want := []string{"<nil> accept [] 0s", "<nil> hold [ip_minute shared_source] 0s", capped}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("three ballots from one address:\n got %q\nwant %q", got, want)
		}
		r := request(p, "a")
		r.From = vote.Origin{IP: "ip1", Subnet: "net1", Trusted: true}
		if res, err := booth(s, now).Cast(ctx, r); err != nil || res.Held() {
			t.Errorf("from a trusted subnet: %+v, %v; want counted", res, err)
		}
	})

	t.Run("sources: a shared source (address, subnet or group) pends, a local or trusted one does not", func(t *testing.T) {
		s, p := memstore.New(), votetest.Poll(t, "fraud: {}")
		var got []string
		for _, from := range []vote.Origin{{IP: "ip1", Subnet: "net1"}, {IP: "ip2", Subnet: "net1"},
			{IP: "lo", Subnet: "lo/24", Local: true}, {IP: "lo", Subnet: "lo/24", Local: true},
			{IP: "ip3", Subnet: "net3", Group: "grp"}, {IP: "ip4", Subnet: "net4", Group: "grp"},
			{IP: "ip5", Subnet: "net5", Group: "grp", Trusted: true}} {
			r := request(p, "a")
			r.From, r.Attempt.AcceptLanguage = from, true
			res, err := booth(s, now).Cast(ctx, r)
			got = append(got, fmt.Sprintf("%v %v %s %v", err, res.Verdict.Action, res.Verdict.Signals, fraud.Pends(res.Verdict)))
		}
		want := []string{"<nil> accept [] false", "<nil> hold [shared_source] true", "<nil> accept [] false", "<nil> accept [] false",
			"<nil> accept [] false", "<nil> hold [shared_source] true", "<nil> accept [] false"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("two ballots of one subnet, two from loopback, three of one group (the last trusted):\n got %q\nwant %q", got, want)
		}
		list, _ := s.Pending(ctx, p, 10)
		if len(list) != 2 || list[0].Group != "grp" {
			t.Errorf("pending %+v, want 2, the newest of the group", list)
		}
	})

	t.Run("an ambiguous failure is sent once more", func(t *testing.T) {
		s, p := memstore.New(), votetest.Poll(t)
		for _, tt := range []struct {
			fail  int
			want  error
			casts int
		}{{1, nil, 2}, {2, vote.ErrUnavailable, 2}} {
			lossy := &lossy{Ballots: s, fail: tt.fail}
			b := booth(s, now)
			b.Ballots = lossy
			res, err := b.Cast(ctx, request(p, "c"))
			if !errors.Is(err, tt.want) || (err == nil) != (res.Receipt != "") || lossy.casts != tt.casts {
				t.Errorf("%d replies lost: %v after %d casts; want %v after %d", tt.fail, err, lossy.casts, tt.want, tt.casts)
			}
		}
		if snap, _ := s.Snapshot(ctx, p, now); snap.Ballots != 2 {
			t.Errorf("%d ballots counted, want 2 (each recorded once)", snap.Ballots)
		}
	})
}

// lossy records ballots in a real store and loses the reply of its first fail casts, as a
// timeout after sending does.
type lossy struct {
	vote.Ballots
	fail, casts int
}

func (l *lossy) Cast(ctx context.Context, p *vote.Poll, b vote.Ballot) (vote.Counted, error) {
	l.casts++
	if got, err := l.Ballots.Cast(ctx, p, b); err != nil || l.casts > l.fail {
		return got, err
	}
	return vote.Counted{}, vote.Unavailable(errors.New("reply lost"))
}
