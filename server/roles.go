package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// role is who a request's bearer token says it comes from.
type role int

// The roles. An organiser (LIVEVOTE_ADMIN_TOKEN) may do everything; an operator
// (LIVEVOTE_OPERATOR_TOKEN) drives the big screen: results visibility only; an auditor
// (LIVEVOTE_AUDITOR_TOKEN) may read everything an organiser reads and change nothing. A screen
// token (access/screentoken.go: minted by the console for the big screen's link, bound to one poll,
// expiring) has the operator's right on its poll only. The operator and the screen open live
// updates in the reserved pool as the public sees them (ws.go, hub/admission.go); organisers and auditors
// see the organiser's snapshots.
const (
	rolePublic role = iota
	roleOperator
	roleAuditor
	roleOrganiser
	roleScreen
)

// String is the role's name as log entries and logs give it.
func (r role) String() string {
	return [...]string{"public", "operator", "auditor", "organiser", "screen"}[r]
}

// right is what a route needs beyond the public's.
type right int

// The rights of the organiser routes.
const (
	rightRead    right = iota // every organiser read: hidden tally, held, signals, export, audit, log
	rightResults              // set the results visibility (the screen's reveal)
	rightChange               // every other change
)

// can reports whether r has the right x.
func (r role) can(x right) bool {
	switch r {
	case roleOrganiser:
		return true
	case roleAuditor:
		return x == rightRead
	case roleOperator, roleScreen:
		return x == rightResults
	}
	return false
}

// tokens are the bearer tokens of the roles, kept as their SHA-256 so that comparing takes the
// same time whatever the lengths; a role without a token has none.
type tokens struct {
	organiser, operator, auditor *[sha256.Size]byte
}

func newTokens(organiser, operator, auditor string) tokens {
	digest := func(t string) *[sha256.Size]byte {
		if t == "" {
			return nil
		}
		d := sha256.Sum256([]byte(t))
		return &d
	}
	return tokens{organiser: digest(organiser), operator: digest(operator), auditor: digest(auditor)}
}

// roleOf returns the role whose token is token (rolePublic for none). Every configured token is
// compared, each in constant time.
func (t tokens) roleOf(token string) role {
	if token == "" {
		return rolePublic
	}
	d := sha256.Sum256([]byte(token))
	r := rolePublic
	for _, c := range []struct {
		digest *[sha256.Size]byte
		role   role
	}{{t.operator, roleOperator}, {t.auditor, roleAuditor}, {t.organiser, roleOrganiser}} {
		if c.digest != nil && subtle.ConstantTimeCompare(d[:], c.digest[:]) == 1 {
			r = c.role
		}
	}
	return r
}

// bearer returns the request's bearer token and whether it sent an Authorization header.
func bearer(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		token = ""
	}
	return token, h != ""
}

// role returns the role of the request's bearer token for the request's poll (a screen token
// counts on its own poll only; on a route without a poll, on any).
func (s *server) role(c *fiber.Ctx) role {
	token, _ := bearer(c)
	return s.roleOf(token, c.Params("poll"))
}

// roleOf returns the role of token on poll ("": any poll): a role's token, else a screen token
// of the poll that has not expired, else rolePublic.
func (s *server) roleOf(token, poll string) role {
	if r := s.tokens.roleOf(token); r != rolePublic {
		return r
	}
	if p, ok := s.keys.ScreenPoll(token, s.now()); ok && (poll == "" || p == poll) {
		return roleScreen
	}
	return rolePublic
}

// authorise answers whether role r may use right x: nil, errUnauthorized when r is no role
// (no token, or one of no role), errForbidden when r's role lacks x.
func authorise(r role, x right) error {
	switch {
	case r.can(x):
		return nil
	case r == rolePublic:
		return errUnauthorized
	}
	return errForbidden
}

// require lets through only requests whose token's role has the right x.
func (s *server) require(x right) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := authorise(s.role(c), x); err != nil {
			return err
		}
		return c.Next()
	}
}

// requireToken lets through only requests with the token of some role (the organiser routes'
// group: an unknown organiser path answers 401 without one, as before roles).
func (s *server) requireToken() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.role(c) == rolePublic {
			return errUnauthorized
		}
		return c.Next()
	}
}
