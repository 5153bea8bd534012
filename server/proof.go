package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/translog"
)

// handleProof answers the inclusion proof of a receipt's ballot in its poll's latest checkpoint
// (translog.Inclusion); once the poll's log is open, with "opening" (translog.Opening: the ballot's
// sealed entry and its reviews, proven against the seal the checkpoint's tree holds); 202 {"status":"pending"} while the ballot is recorded but not yet in a
// checkpoint (this instance reads new log entries every LogEvery), 404 for an unknown receipt.
func (s *server) handleProof() fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := s.findReceipt(c.UserContext(), c.Params("receipt"))
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		inc, err := s.seq.Prove(s.polls[r.Poll], r)
		if errors.Is(err, translog.ErrNotInCheckpoint) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "pending"})
		}
		if err != nil {
			return err
		}
		p := s.polls[r.Poll]
		if !s.opened(p) {
			return c.JSON(inc)
		}
		o, err := s.seq.ProveOpening(c.UserContext(), p, r, inc)
		if errors.Is(err, translog.ErrNotInCheckpoint) {
			return c.JSON(inc) // opened, but this ballot's entry not yet under a seal
		}
		if err != nil {
			return err
		}
		return c.JSON(struct {
			translog.Inclusion
			Opening translog.Opening `json:"opening"`
		}{inc, o})
	}
}
