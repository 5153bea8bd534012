package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/wire"
)

// maxHoldNew is the longest hold on new networks (minutes) one action sets; an organiser renews it.
const maxHoldNew = 60

// handleHoldNewNetworks holds for review, from now for the given minutes, every ballot that is the
// first of its address, subnet and group in the hour (a network new to the poll: what a farm on
// residential proxies casts), for every instance: {"minutes": N}, 1 to 60; 0 ends the hold. The
// ballots so held wait for the organiser (signal new_network), reviewed as one group
// (handleHeldGroups). The action is logged before it applies ("hold_new_networks", the end of
// the hold in RFC 3339, or "off"), as adminChange does. It answers the poll's state, with
// hold_new_until while the hold lasts.
func (s *server) handleHoldNewNetworks() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		var body struct {
			Minutes *int `json:"minutes"`
		}
		if err := wire.DecodeStrict(c.Body(), &body); err != nil {
			return err
		}
		if body.Minutes == nil || *body.Minutes < 0 || *body.Minutes > maxHoldNew {
			return errInvalidRequest
		}
		now := s.now()
		until, value := time.Time{}, "off"
		if *body.Minutes > 0 {
			until = now.Add(time.Duration(*body.Minutes) * time.Minute).Truncate(time.Millisecond)
			value = until.UTC().Format(time.RFC3339Nano)
		}
		if err := s.logAction(c, p, "hold_new_networks", value); err != nil {
			return err
		}
		st, err := s.store.SetHoldNew(c.UserContext(), p, until)
		if err != nil {
			return err
		}
		s.states.put(p, st)
		s.log.Info("new networks held", "poll", p.ID, "until", value)
		return c.JSON(viewOf(p, st, now))
	}
}
