package server

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/server/wire"
	"github.com/livevote/livevote/vote"
)

// stateView is a poll's state as the organiser endpoints answer it (withheld only while the
// results are revealed).
type stateView struct {
	ID         string          `json:"id"`
	Status     vote.Status     `json:"status"`
	Results    vote.Visibility `json:"results"`
	Difficulty int             `json:"difficulty"`
	Withheld   *int            `json:"withheld,omitempty"`
	// HoldNewUntil is when the hold on new networks ends (newnetworks.go), absent when none.
	HoldNewUntil string `json:"hold_new_until,omitempty"`
}

// viewOf is the organiser's view of p's state st, its status Effective now.
func viewOf(p *vote.Poll, st vote.State, now time.Time) stateView {
	v := stateView{ID: p.ID, Status: p.Effective(st.Status, now), Results: st.Results, Difficulty: st.Difficulty}
	if st.Results == vote.ResultsRevealed {
		w := max(0, st.Withheld)
		v.Withheld = &w
	}
	if now.Before(st.HoldNewUntil) {
		v.HoldNewUntil = st.HoldNewUntil.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// valid is a value func of adminChange for a body that is valid when ok.
func valid(v string, ok bool) (string, error) {
	if !ok {
		return "", errInvalidRequest
	}
	return v, nil
}

// adminChange makes a handler that reads a strict JSON body into a fresh B, checks it with value
// (the new value as the log records it, or the error to answer with; nothing is logged or changed
// then), appends the action
// named action to the poll's log, and then applies it with set, which returns the poll's new
// state. The action is logged before it is applied, so that no applied change is missing from
// the log (a change that then fails is logged as tried).
func adminChange[B any](s *server, action string, value func(c *fiber.Ctx, p *vote.Poll, body B) (string, error), set func(c *fiber.Ctx, p *vote.Poll, body B) (vote.State, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		var body B
		if err := wire.DecodeStrict(c.Body(), &body); err != nil {
			return err
		}
		v, err := value(c, p, body)
		if err != nil {
			return err
		}
		if err := s.logAction(c, p, action, v); err != nil {
			return err
		}
		st, err := set(c, p, body)
		if err != nil {
			return err
		}
		s.states.put(p, st)
		s.log.Info("poll changed", "poll", p.ID, "status", st.Status, "results", st.Results, "difficulty", st.Difficulty)
		return c.JSON(viewOf(p, st, s.now()))
	}
}

// logAction appends an action of the request's role to p's log.
func (s *server) logAction(c *fiber.Ctx, p *vote.Poll, action, value string) error {
	return s.store.LogAction(c.UserContext(), p, vote.AdminAction{Action: action, Value: value, Role: access.RoleOf(c).String(), At: s.now()})
}

func (s *server) handleSetStatus() fiber.Handler {
	type body struct {
		Status vote.Status `json:"status"`
	}
	return adminChange(s, "status", func(_ *fiber.Ctx, _ *vote.Poll, b body) (string, error) {
		return valid(string(b.Status), b.Status.Settable())
	},
		func(c *fiber.Ctx, p *vote.Poll, b body) (vote.State, error) {
			return s.store.SetStatus(c.UserContext(), p, b.Status)
		})
}

func (s *server) handleSetDifficulty() fiber.Handler {
	type body struct {
		Difficulty *int `json:"difficulty"`
	}
	return adminChange(s, "difficulty", func(_ *fiber.Ctx, _ *vote.Poll, b body) (string, error) {
		if b.Difficulty == nil || *b.Difficulty < 0 || *b.Difficulty > vote.MaxDifficulty {
			return "", errInvalidRequest
		}
		return strconv.Itoa(*b.Difficulty), nil
	}, func(c *fiber.Ctx, p *vote.Poll, b body) (vote.State, error) {
		return s.store.SetDifficulty(c.UserContext(), p, *b.Difficulty)
	})
}
