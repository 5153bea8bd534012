package server

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// voteRequest is the body of POST /api/v1/polls/{poll}/votes.
type voteRequest struct {
	Choices []string  `json:"choices"`
	Pow     *solution `json:"pow"`
	// Website is the ballot page's honeypot: a field people do not see and leave empty.
	Website string `json:"website"`
	// Client is what the ballot page reports about itself (optional).
	Client *clientReport `json:"client"`
}

// voteAccepted is the answer to a vote that was recorded (201).
type voteAccepted struct {
	Status  string   `json:"status"` // always "accepted"
	Receipt string   `json:"receipt"`
	Choices []string `json:"choices"`
}

// clientReport is what the ballot page reports with a vote.
type clientReport struct {
	// Webdriver is the browser's navigator.webdriver: true when automation drives it.
	Webdriver bool `json:"webdriver"`
	// ElapsedMS is the time from showing the ballot to the vote, in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
}

// handleChallenge gives the voter a proof-of-work challenge for one vote attempt.
func (s *server) handleChallenge() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		voter := s.keys.voter(c)
		if voter == "" {
			return errVoterToken
		}
		st, err := s.states.get(c.UserContext(), p)
		if err != nil {
			return err
		}
		if st.Status != vote.StatusOpen {
			return vote.ErrVotingClosed
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		if st.Difficulty == 0 {
			return c.JSON(challenge{Algorithm: "none"})
		}
		return c.JSON(s.keys.newChallenge(p.ID, s.keys.voterKey(voter), st.Difficulty, s.now()))
	}
}

// handleVote records one ballot, or holds it for review when fraud signals say so (answered the
// same). Faults are answered in the order of API.md: 413, 404, 400, 401, 403 voting_closed, 403
// challenge_failed (a failed proof of work or a filled honeypot), 422, then what the store
// refuses: 429 (the hard cap of an IP address, when the poll has one), 409 (429 from the rate
// limiter comes before all of these). 201 is sent only after the store recorded the ballot.
func (s *server) handleVote() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		pf, held, err := s.vote(c)
		s.reportVote(pf, held, err, start)
		return err
	}
}

// vote is handleVote's work: it returns the poll's fraud state (nil when the poll is unknown),
// whether the ballot was held, and the error that refused the attempt.
func (s *server) vote(c *fiber.Ctx) (pf *pollFraud, held bool, err error) {
	pf = s.fraud[c.Params("poll")] // nil for an unknown poll
	if len(c.Body()) > maxVoteBody {
		return pf, false, errBodyTooLarge
	}
	p, err := s.poll(c)
	if err != nil {
		return nil, false, err
	}
	var req voteRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return pf, false, err
	}
	voter := s.keys.voter(c)
	if voter == "" {
		return pf, false, errVoterToken
	}
	ctx := c.UserContext()
	st, err := s.states.get(ctx, p)
	if err != nil {
		return pf, false, err
	}
	now := s.now()
	if st.Status != vote.StatusOpen {
		return pf, false, vote.ErrVotingClosed
	}
	b := vote.Ballot{
		Receipt: strings.ToLower(rand.Text()),
		Voter:   s.keys.voterKey(voter),
		Period:  p.Period(now),
		Choices: req.Choices,
		At:      now.Truncate(time.Millisecond), // what the Redis store keeps
	}
	a := fraud.Attempt{
		Honeypot:       req.Website,
		AcceptLanguage: c.Get(fiber.HeaderAcceptLanguage) != "",
		UserAgent:      c.Get(fiber.HeaderUserAgent), // not kept: Judge only reads it
		Surging:        pf.velocity.Surging(req.Choices),
	}
	if req.Client != nil {
		a.Webdriver, a.Elapsed = req.Client.Webdriver, time.Duration(req.Client.ElapsedMS)*time.Millisecond
	}
	if st.Difficulty > 0 {
		until, ok := s.keys.verify(req.Pow, p.ID, b.Voter, st.Difficulty, now)
		if ok {
			b.Challenge, b.ChallengeUntil = req.Pow.Challenge, until
			// when it was issued, to the second (the challenge keeps its expiry in Unix seconds)
			a.ChallengeAge = max(now.Sub(until.Add(-challengeTTL)), time.Nanosecond)
		}
		a.ChallengeFailed = !ok
	}
	verdict := fraud.Judge(p.Fraud, a)
	if verdict.Action == fraud.Refuse {
		s.reportSignals(pf, verdict.Signals)
		return pf, false, s.refuse(ctx, p, b, verdict.Err())
	}
	if err := p.CheckChoices(req.Choices); err != nil {
		s.reportSignals(pf, verdict.Signals)
		return pf, false, s.refuse(ctx, p, b, err)
	}
	src := s.sourceOf(c, pf)
	b.Held = verdict.Action == fraud.Hold
	if src.ip != "" {
		b.Source = &vote.Source{IP: src.ip, Subnet: src.subnet, Caps: fraud.Caps(p.Fraud, src.trusted)}
	}
	err = s.cast(ctx, p, b)
	switch {
	case errors.Is(err, vote.ErrSourceCapped):
		verdict = verdict.WithCap()
		// The hour's ballots leave the sliding window as the next hour goes by: there is room
		// again from the next full hour at the latest, if no other ballot came before.
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(now.Truncate(time.Hour).Add(time.Hour).Sub(now).Seconds())+1))
	case err == nil && b.Source != nil:
		verdict = verdict.WithSource(p.Fraud, src.trusted, b.Source.Counts, b.Source.Held)
	}
	s.reportSignals(pf, verdict.Signals)
	if err != nil {
		return pf, false, err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return pf, verdict.Action == fraud.Hold, c.Status(fiber.StatusCreated).JSON(voteAccepted{Status: "accepted", Receipt: b.Receipt, Choices: b.Choices})
}

// refuse answers an attempt refused before the store with err; the attempt used its challenge,
// if it had a good one, so the challenge is consumed first.
func (s *server) refuse(ctx context.Context, p *vote.Poll, b vote.Ballot, err error) error {
	if b.Challenge != "" {
		if uerr := s.store.UseChallenge(ctx, p, b.Challenge, b.ChallengeUntil); uerr != nil {
			return uerr
		}
	}
	return err
}

// cast records the ballot. When the store failed in a way that may have recorded it (a timeout),
// cast sends the same ballot once more: Cast is idempotent per receipt, so the answer is then
// definite unless the store is still down.
func (s *server) cast(ctx context.Context, p *vote.Poll, b vote.Ballot) error {
	err := s.store.Cast(ctx, p, b)
	if err == nil || !errors.Is(err, vote.ErrUnavailable) || ctx.Err() != nil {
		return err
	}
	return s.store.Cast(ctx, p, b)
}
