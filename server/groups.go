package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/wire"
	"github.com/livevote/livevote/vote"
)

// handleHeldGroups lists the held ballots grouped by source and reason (fraud.Checks.HeldGroups).
func (s *server) handleHeldGroups() fiber.Handler {
	return func(c *fiber.Ctx) error {
		g, err := s.fraud.HeldGroups(c.UserContext(), pollOf(c))
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(g)
	}
}

// handleGroupReview releases or voids a whole group of held ballots (fraud.Checks.ReviewGroup):
// {"source":"<hash>","signal":"<signal>","action":"release"|"void","until":"<time>"}.
func (s *server) handleGroupReview() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		var body struct {
			Source string      `json:"source"`
			Signal vote.Signal `json:"signal"`
			Action string      `json:"action"`
			Until  time.Time   `json:"until"`
		}
		if err := wire.DecodeStrict(c.Body(), &body); err != nil {
			return err
		}
		if !reviewAction(body.Action) || body.Signal == "" || body.Until.IsZero() {
			return errInvalidRequest
		}
		reviewed, skipped, err := s.fraud.ReviewGroup(c.UserContext(), p, body.Source, body.Signal, body.Action == "release", body.Until)
		if err != nil {
			return err
		}
		s.log.Info("held group reviewed", "poll", p.ID, "action", body.Action, "signal", body.Signal, "reviewed", reviewed)
		if reviewed > 0 {
			if err := s.corrected(c, p); err != nil {
				return err
			}
		}
		return c.JSON(fiber.Map{"poll": p.ID, "action": body.Action, "source": body.Source, "signal": body.Signal,
			"reviewed": reviewed, "skipped": skipped})
	}
}
