package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/livevote/livevote/vote"
)

// heldView is a held ballot as organisers review it.
type heldView struct {
	Receipt    string           `json:"receipt"`
	RecordedAt time.Time        `json:"recorded_at"`
	Choices    []string         `json:"choices"`
	State      vote.BallotState `json:"state"`
}

// handleHeld lists ballots awaiting review, oldest first (?limit=, default 100, at most 1000).
func (s *server) handleHeld() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		limit := c.QueryInt("limit", 100)
		if limit < 1 || limit > 1000 {
			return errInvalidRequest
		}
		held, err := s.store.Held(c.UserContext(), p, limit)
		if err != nil {
			return err
		}
		snap, err := s.store.Snapshot(c.UserContext(), p, s.now())
		if err != nil {
			return err
		}
		out := make([]heldView, 0, len(held))
		for _, r := range held {
			out = append(out, heldView{Receipt: r.ID, RecordedAt: r.RecordedAt, Choices: r.Choices, State: r.State})
		}
		return c.JSON(fiber.Map{"poll": p.ID, "count": snap.Held, "held": out})
	}
}

// handleReview releases (counts) or voids a held ballot.
func (s *server) handleReview() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		var body struct {
			Action string `json:"action"`
		}
		if err := decodeStrict(c.Body(), &body); err != nil {
			return err
		}
		if body.Action != "release" && body.Action != "void" {
			return errInvalidRequest
		}
		receipt := utils.CopyString(c.Params("receipt")) // the store may keep it
		r, err := s.store.Review(c.UserContext(), p, receipt, body.Action == "release", s.now())
		if err != nil {
			return err
		}
		s.log.Info("held ballot reviewed", "poll", p.ID, "state", r.State)
		return c.JSON(heldView{Receipt: r.ID, RecordedAt: r.RecordedAt, Choices: r.Choices, State: r.State})
	}
}
