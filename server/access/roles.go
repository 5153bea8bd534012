package access

import (
	"github.com/gofiber/fiber/v2"
)

// Role is who a request's bearer token says it comes from.
type Role int

// The roles. An organiser (LIVEVOTE_ADMIN_TOKEN) may do everything; an operator
// (LIVEVOTE_OPERATOR_TOKEN) drives the big screen: results visibility only; an auditor
// (LIVEVOTE_AUDITOR_TOKEN) may read everything an organiser reads and change nothing. A screen
// token (screentoken.go: minted by the console for the big screen's link, bound to one poll,
// expiring) has the operator's right on its poll only. The operator and the screen open live
// updates in the reserved pool as the public sees them (server/liveslots.go); organisers and
// auditors see the organiser's snapshots.
const (
	RolePublic Role = iota
	RoleOperator
	RoleAuditor
	RoleOrganiser
	RoleScreen
)

// String is the role's name as log entries and logs give it.
func (r Role) String() string {
	return [...]string{"public", "operator", "auditor", "organiser", "screen"}[r]
}

// Right is what a route needs beyond the public's.
type Right int

// The rights of the organiser routes.
const (
	RightRead    Right = iota // every organiser read: hidden tally, held, signals, export, audit, log
	RightResults              // set the results visibility (the screen's reveal)
	RightChange               // every other change
)

// Can reports whether r has the right x.
func (r Role) Can(x Right) bool {
	switch r {
	case RoleOrganiser:
		return true
	case RoleAuditor:
		return x == RightRead
	case RoleOperator, RoleScreen:
		return x == RightResults
	}
	return false
}

// Authorise answers whether role r may use right x: nil, ErrUnauthorized when r is no role
// (no token, or one of no role), ErrForbidden when r's role lacks x.
func Authorise(r Role, x Right) error {
	switch {
	case r.Can(x):
		return nil
	case r == RolePublic:
		return ErrUnauthorized
	}
	return ErrForbidden
}

// RoleOf returns the role of the request's token on the route's poll (its :poll parameter; on a
// route without one, on any poll: a screen token counts on its own poll only), as TokenGuard
// found it once for the request. A request that TokenGuard did not see is RolePublic.
func RoleOf(c *fiber.Ctx) Role {
	cred, _, _ := TokenOf(c)
	return cred.On(c.Params("poll"))
}

// Require lets through only requests whose token's role has the right x (after TokenGuard).
func Require(x Right) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := Authorise(RoleOf(c), x); err != nil {
			return err
		}
		return c.Next()
	}
}

// RequireToken lets through only requests with the token of some role (the organiser routes'
// group: an unknown organiser path answers 401 without one, as before roles).
func RequireToken() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if RoleOf(c) == RolePublic {
			return ErrUnauthorized
		}
		return c.Next()
	}
}
