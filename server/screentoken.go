package server

import (
	"github.com/livevote/livevote/server/access"
	"time"

	"github.com/gofiber/fiber/v2"
)

// screenTokenAnswer is the body of POST /api/v1/admin/polls/{poll}/screen-token.
type screenTokenAnswer struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// handleScreenToken mints a screen token for the poll (docs/API.md): for the organiser and the
// operator, never for a screen token.
func (s *server) handleScreenToken() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if access.RoleOf(c) == access.RoleScreen {
			return access.ErrForbidden // a screen token makes no other (it would never expire)
		}
		p := pollOf(c)
		exp := s.now().Add(access.ScreenTokenTTL).Truncate(time.Second).UTC()
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusCreated).JSON(screenTokenAnswer{Token: s.keys.NewScreenToken(p.ID, exp), Expires: exp})
	}
}
