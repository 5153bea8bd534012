package server

import (
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/server/wire"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// voteAccepted is the answer to a vote that was recorded (201).
type voteAccepted struct {
	Status  string   `json:"status"` // always "accepted"
	Receipt string   `json:"receipt"`
	Choices []string `json:"choices"`
}

// handleChallenge gives the voter a proof-of-work challenge for one vote attempt.
func (s *server) handleChallenge() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		voter := s.keys.Voter(c)
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
			return c.JSON(access.Challenge{Algorithm: "none"})
		}
		return c.JSON(s.keys.NewChallenge(p.ID, s.keys.VoterKey(voter), st.Difficulty, s.now()))
	}
}

// heldLocal is the key under which handleVote says that it held the ballot (for observeVote).
const heldLocal = "livevote.held"

// observeVote reports every vote attempt, whatever answered it (the handlers after it on the
// route: limitVoteBody, withPoll, handleVote), with the poll's fraud state when the poll exists.
func (s *server) observeVote() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		held, _ := c.Locals(heldLocal).(bool)
		s.reportVote(c.Params("poll"), held, err, start)
		return err
	}
}

// limitVoteBody refuses a vote body over maxVoteBody (413 body_too_large), before the poll is
// looked up (docs/API.md's order).
func limitVoteBody() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > maxVoteBody {
			return errBodyTooLarge
		}
		return c.Next()
	}
}

// handleVote records one ballot, or holds it for review when fraud signals say so (answered the
// same). Faults are answered in the order of docs/API.md: 413 (limitVoteBody), 404 (withPoll),
// 400, 401, 403 voting_closed, 403 challenge_failed (a failed proof of work or a filled
// honeypot), 422, then what the store refuses: 429 (the hard cap of an IP address, when the poll
// has one), 409 (429 from the rate limiter comes before all of these). 201 is sent only after the
// store recorded the ballot.
func (s *server) handleVote() fiber.Handler {
	return func(c *fiber.Ctx) error {
		held, err := s.vote(c)
		if held {
			c.Locals(heldLocal, true)
		}
		return err
	}
}

// vote is handleVote's work: it parses the request, runs the vote workflow (vote.Booth) and
// renders its result. It returns whether the ballot was held, and the error that refused the
// attempt.
func (s *server) vote(c *fiber.Ctx) (held bool, err error) {
	p := pollOf(c)
	var req wire.Vote
	if err := wire.DecodeVote(c.Body(), &req); err != nil {
		return false, err
	}
	voter := s.keys.Voter(c)
	if voter == "" {
		return false, errVoterToken
	}
	r := vote.Request{
		Poll:    p,
		Voter:   s.keys.VoterKey(voter),
		Choices: req.Choices,
		From:    s.sourceOf(c, p),
		Attempt: vote.Attempt{
			Honeypot:       req.Website,
			AcceptLanguage: c.Get(fiber.HeaderAcceptLanguage) != "",
			UserAgent:      c.Get(fiber.HeaderUserAgent), // not kept: Judge only reads it
		},
	}
	if req.Pow != nil {
		r.Proof = s.keys.Proof(req.Pow)
	}
	if req.Client != nil {
		r.Attempt.Webdriver, r.Attempt.Elapsed = req.Client.Webdriver, time.Duration(req.Client.ElapsedMS)*time.Millisecond
	}
	res, err := s.booth.Cast(c.UserContext(), r)
	if res.Judged {
		s.fraud.CountSignals(p, res.Verdict.Signals)
	}
	if res.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(res.RetryAfter.Seconds())+1))
	}
	if err != nil {
		return false, err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return res.Held(), c.Status(fiber.StatusCreated).JSON(voteAccepted{Status: "accepted", Receipt: res.Receipt, Choices: res.Choices})
}
