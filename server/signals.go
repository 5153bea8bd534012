package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/server/wire"
)

// handleTrusted lists the poll's trusted subnets.
func (s *server) handleTrusted() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		list, err := s.fraud.TrustedSubnets(c.UserContext(), p)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"poll": p.ID, "trusted": list})
	}
}

// handleSetTrusted marks a subnet trusted (POST, body {"subnet":"203.0.113.0/24"}) or no longer
// trusted (DELETE, ?subnet=203.0.113.0/24), for every instance.
func (s *server) handleSetTrusted(trusted bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		raw, err := queryValue(c, "subnet", "")
		if err != nil {
			return err
		}
		if trusted {
			var body struct {
				Subnet string `json:"subnet"`
			}
			if err := wire.DecodeStrict(c.Body(), &body); err != nil {
				return err
			}
			raw = body.Subnet
		}
		subnet, ok := fraud.ParseSubnet(raw)
		if !ok {
			return errInvalidRequest
		}
		if trusted {
			list, err := s.fraud.TrustedSubnets(c.UserContext(), p)
			if err != nil {
				return err
			}
			if len(list) >= fraud.MaxTrusted {
				return errInvalidRequest
			}
		}
		action := "untrusted"
		if trusted {
			action = "trusted"
		}
		if err := s.logAction(c, p, action, subnet.String()); err != nil {
			return err
		}
		list, err := s.fraud.SetTrusted(c.UserContext(), p, subnet, trusted)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"poll": p.ID, "trusted": list})
	}
}

// handleSignals answers the poll's fraud overview (fraud.Checks.Overview).
func (s *server) handleSignals() fiber.Handler {
	return func(c *fiber.Ctx) error {
		o, err := s.fraud.Overview(c.UserContext(), pollOf(c))
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(o)
	}
}
