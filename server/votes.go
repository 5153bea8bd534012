package server

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// voteRequest is the body of POST /api/v1/polls/{poll}/votes.
type voteRequest struct {
	Choices []string  `json:"choices"`
	Pow     *solution `json:"pow"`
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

// handleVote records one ballot. Faults are answered in the order of API.md: 413, 404, 400, 401,
// 403 voting_closed, 403 challenge_failed, 422, 409 (429 is the rate limiter's, before this).
// 201 is sent only after the store recorded the ballot.
func (s *server) handleVote() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > maxVoteBody {
			return errBodyTooLarge
		}
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		var req voteRequest
		if err := decodeStrict(c.Body(), &req); err != nil {
			return err
		}
		voter := s.keys.voter(c)
		if voter == "" {
			return errVoterToken
		}
		ctx := c.UserContext()
		st, err := s.states.get(ctx, p)
		if err != nil {
			return err
		}
		now := s.now()
		if st.Status != vote.StatusOpen {
			return vote.ErrVotingClosed
		}
		b := vote.Ballot{
			Receipt: strings.ToLower(rand.Text()),
			Voter:   s.keys.voterKey(voter),
			Period:  p.Period(now),
			Choices: req.Choices,
			At:      now.Truncate(time.Millisecond), // what the Redis store keeps
		}
		if st.Difficulty > 0 {
			until, ok := s.keys.verify(req.Pow, p.ID, b.Voter, st.Difficulty, now)
			if !ok {
				return vote.ErrChallengeFailed
			}
			b.Challenge, b.ChallengeUntil = req.Pow.Challenge, until
		}
		if err := p.CheckChoices(req.Choices); err != nil {
			if b.Challenge != "" {
				// The attempt used its challenge even though its choices were wrong.
				if uerr := s.store.UseChallenge(ctx, p, b.Challenge, b.ChallengeUntil); uerr != nil {
					return uerr
				}
			}
			return err
		}
		if err := s.cast(ctx, p, b); err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"status": "accepted", "receipt": b.Receipt, "choices": b.Choices})
	}
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
