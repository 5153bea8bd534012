package vote

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"
)

// Booth is the vote workflow: it takes one vote attempt, as the facts of its request, to a
// recorded ballot (counted or held for review) or to the error that refuses it. The HTTP handler
// parses the request, calls Cast and renders the result. Its fields are its dependencies, all
// required. A Booth is safe for concurrent use when they are.
type Booth struct {
	// Ballots records the ballots.
	Ballots Ballots
	// State returns a poll's state with its status Effective now (it may be a cache of the
	// store's States).
	State func(ctx context.Context, p *Poll) (State, error)
	// Judge is the fraud checks (package fraud's Checks).
	Judge Judge
	// Now is the clock.
	Now func() time.Time
}

// Judge is what the booth asks of the fraud checks (package fraud's Checks is one): Screen before
// the store, then Verdict, once per attempt screened, whatever became of it. Both must be safe
// for concurrent use.
type Judge interface {
	// Screen returns what the checks make of attempt r (its Attempt complete: Cast filled in the
	// challenge's part) before the store sees it, on a poll whose state is st, at now.
	Screen(r Request, st State, now time.Time) Screening
	// Verdict returns the verdict of an attempt from from that Screen screened s, after the
	// store: with err nil the store recorded it and counted got; with ErrSourceCapped the store
	// refused it at the hard cap; with any other error it was refused before the store or by it,
	// and the verdict is the screening's.
	Verdict(p *Poll, s Screening, from Origin, got Counted, err error) Verdict
}

// Screening is what the fraud checks make of an attempt before the store (Judge.Screen).
type Screening struct {
	// Signals are the signals the attempt showed, in the order of Signals.
	Signals []Signal
	// Refuse, when not nil, refuses the attempt before the store (ErrChallengeFailed).
	Refuse error
	// Hold records the ballot held for review (with Signals).
	Hold bool
	// Caps are the caps the store applies to the attempt's source (when it has one).
	Caps SourceCaps
}

// Request is one vote attempt as its request shows it.
type Request struct {
	Poll *Poll
	// Voter is the keyed hash of the voter id (what the store keeps).
	Voter   string
	Choices []string
	// Proof is the attempt's proof of work; nil when it sent none.
	Proof Proof
	// From is where the attempt came from (zero: the address is unknown).
	From Origin
	// Attempt is what the request shows the fraud checks (honeypot, Accept-Language, User-Agent,
	// what the page reports); Cast fills in the challenge's part, the Judge Surging.
	Attempt Attempt
}

// Proof is an attempt's proof of work, as the caller checks it (the server: its signed
// challenges).
type Proof interface {
	// Check reports whether the proof solves a challenge issued for the poll and the voter (keyed
	// hash), of at least difficulty, unexpired at now, and returns that challenge. It does not
	// know whether the challenge was used before: the store does.
	Check(p *Poll, voter string, difficulty int, now time.Time) (Challenge, bool)
}

// Challenge is a solved proof-of-work challenge: its id (what the store remembers as used), when
// it was issued and when it expires.
type Challenge struct {
	ID              string
	Issued, Expires time.Time
}

// Origin is where an attempt came from, as the fraud checks count it: keyed hashes of its IP
// address, of its subnet and of its group (see Source; empty when the address is unknown),
// whether the organiser trusts the subnet (then nothing of it is capped or pending, the group
// included), and whether the address is the server's own machine (Local: loopback, a local try
// without a proxy, where every voter shares the address: the caps apply, the shared-source hold
// does not).
type Origin struct {
	IP, Subnet, Group string
	Trusted           bool
	Local             bool
}

// Result is what came of an attempt.
type Result struct {
	// Receipt and Choices are the recorded ballot's (set when Cast returns nil).
	Receipt string
	Choices []string
	// Judged is true when the attempt got a verdict (the Judge screened it), even when it was
	// refused: its Verdict's signals are then to be reported (counted), once.
	Judged  bool
	Verdict Verdict
	// RetryAfter is, with ErrSourceCapped, how long until the IP address has room again at the
	// latest: the hour's ballots leave the sliding window as the next hour goes by.
	RetryAfter time.Duration
}

// Held reports whether the ballot was recorded held for review (it is answered as accepted).
func (r Result) Held() bool { return r.Verdict.Action == Hold }

// Cast runs one vote attempt. It refuses, in this order: with the State's error, with
// ErrVotingClosed when the poll is not open, with ErrChallengeFailed when the verdict refuses (a
// failed proof of work, a filled honeypot), with an error wrapping ErrInvalidChoice for choices
// the poll does not take, then with what the store refuses (ErrSourceCapped, ErrVotingClosed,
// ErrChallengeFailed for a challenge used before, ErrAlreadyVoted). An attempt refused before the
// store still uses up its good challenge. When the store fails in a way that may have recorded
// the ballot (ErrUnavailable), Cast sends the same ballot once more: Ballots.Cast is idempotent
// per receipt, so the answer is then definite unless the store is still down. Cast returns nil
// only once the store recorded the ballot.
func (bo *Booth) Cast(ctx context.Context, r Request) (Result, error) {
	var res Result
	p := r.Poll
	st, err := bo.State(ctx, p)
	if err != nil {
		return res, err
	}
	now := bo.Now()
	if st.Status != StatusOpen {
		return res, ErrVotingClosed
	}
	b := Ballot{
		Receipt: strings.ToLower(rand.Text()),
		Voter:   r.Voter,
		Period:  p.Period(now),
		Choices: r.Choices,
		At:      now.Truncate(time.Millisecond), // what the Redis store keeps
	}
	if st.Difficulty > 0 {
		var ch Challenge
		ok := r.Proof != nil
		if ok {
			ch, ok = r.Proof.Check(p, b.Voter, st.Difficulty, now)
		}
		if ok {
			b.Challenge, b.ChallengeUntil = ch.ID, ch.Expires
			r.Attempt.ChallengeAge = max(now.Sub(ch.Issued), time.Nanosecond)
		}
		r.Attempt.ChallengeFailed = !ok
	}
	sc := bo.Judge.Screen(r, st, now)
	var got Counted
	if err = sc.Refuse; err == nil {
		err = p.CheckChoices(r.Choices)
	}
	if err != nil {
		err = bo.refuse(ctx, p, b, err)
	} else {
		b.Held, b.Signals = sc.Hold, sc.Signals
		if r.From.IP != "" {
			b.Source = Source{IP: r.From.IP, Subnet: r.From.Subnet, Group: r.From.Group, Caps: sc.Caps}
		}
		got, err = bo.cast(ctx, p, b)
	}
	res.Verdict, res.Judged = bo.Judge.Verdict(p, sc, r.From, got, err), true
	if errors.Is(err, ErrSourceCapped) {
		res.RetryAfter = now.Truncate(time.Hour).Add(time.Hour).Sub(now)
	}
	if err != nil {
		return res, err
	}
	res.Receipt, res.Choices = b.Receipt, b.Choices
	return res, nil
}

// refuse answers an attempt refused before the store with err; the attempt used its challenge,
// if it had a good one, so the challenge is consumed first.
func (bo *Booth) refuse(ctx context.Context, p *Poll, b Ballot, err error) error {
	if b.Challenge != "" {
		if uerr := bo.Ballots.UseChallenge(ctx, p, b.Challenge, b.ChallengeUntil); uerr != nil {
			return uerr
		}
	}
	return err
}

// cast records the ballot, sending it once more after an ambiguous failure (see Cast).
func (bo *Booth) cast(ctx context.Context, p *Poll, b Ballot) (Counted, error) {
	got, err := bo.Ballots.Cast(ctx, p, b)
	if err == nil || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
		return got, err
	}
	return bo.Ballots.Cast(ctx, p, b)
}
