package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// requireAdmin lets only requests with the organiser token through.
func (s *server) requireAdmin() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !s.isAdmin(c) {
			return errUnauthorized
		}
		return c.Next()
	}
}

// stateView is a poll's state as the organiser endpoints answer it.
type stateView struct {
	ID         string          `json:"id"`
	Status     vote.Status     `json:"status"`
	Results    vote.Visibility `json:"results"`
	Difficulty int             `json:"difficulty"`
}

// adminChange makes a handler that reads a strict JSON body into a fresh B, and applies it with
// set, which returns the poll's new state.
func adminChange[B any](s *server, set func(c *fiber.Ctx, p *vote.Poll, body B) (vote.State, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		var body B
		if err := decodeStrict(c.Body(), &body); err != nil {
			return err
		}
		st, err := set(c, p, body)
		if err != nil {
			return err
		}
		s.states.put(p, st)
		s.log.Info("poll changed", "poll", p.ID, "status", st.Status, "results", st.Results, "difficulty", st.Difficulty)
		return c.JSON(stateView{ID: p.ID, Status: p.Effective(st.Status, s.now()), Results: st.Results, Difficulty: st.Difficulty})
	}
}

func (s *server) handleSetStatus() fiber.Handler {
	return adminChange(s, func(c *fiber.Ctx, p *vote.Poll, body struct {
		Status vote.Status `json:"status"`
	}) (vote.State, error) {
		if !body.Status.Settable() {
			return vote.State{}, errInvalidRequest
		}
		return s.store.SetStatus(c.UserContext(), p, body.Status)
	})
}

func (s *server) handleSetResults() fiber.Handler {
	return adminChange(s, func(c *fiber.Ctx, p *vote.Poll, body struct {
		Results vote.Visibility `json:"results"`
	}) (vote.State, error) {
		if !body.Results.Valid() {
			return vote.State{}, errInvalidRequest
		}
		return s.store.SetResults(c.UserContext(), p, body.Results)
	})
}

func (s *server) handleSetDifficulty() fiber.Handler {
	return adminChange(s, func(c *fiber.Ctx, p *vote.Poll, body struct {
		Difficulty *int `json:"difficulty"`
	}) (vote.State, error) {
		if body.Difficulty == nil || *body.Difficulty < 0 || *body.Difficulty > vote.MaxDifficulty {
			return vote.State{}, errInvalidRequest
		}
		return s.store.SetDifficulty(c.UserContext(), p, *body.Difficulty)
	})
}
