package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Tokens are the bearer tokens of the roles, kept as their SHA-256 so that comparing takes the
// same time whatever the lengths; a role without a token has none.
type Tokens struct {
	organiser, operator, auditor *[sha256.Size]byte
}

// NewTokens returns the tokens of the organiser, the operator and the auditor ("": no such role).
func NewTokens(organiser, operator, auditor string) Tokens {
	digest := func(t string) *[sha256.Size]byte {
		if t == "" {
			return nil
		}
		d := sha256.Sum256([]byte(t))
		return &d
	}
	return Tokens{organiser: digest(organiser), operator: digest(operator), auditor: digest(auditor)}
}

// Role returns the role whose token is token (RolePublic for none). Every configured token is
// compared, each in constant time.
func (t Tokens) Role(token string) Role {
	if token == "" {
		return RolePublic
	}
	d := sha256.Sum256([]byte(token))
	r := RolePublic
	for _, c := range []struct {
		digest *[sha256.Size]byte
		role   Role
	}{{t.operator, RoleOperator}, {t.auditor, RoleAuditor}, {t.organiser, RoleOrganiser}} {
		if c.digest != nil && subtle.ConstantTimeCompare(d[:], c.digest[:]) == 1 {
			r = c.role
		}
	}
	return r
}

// Credential is what a token proves: a role's token its role on every poll, a screen token that
// has not expired RoleScreen on its poll. The zero Credential (no token, or one of no role)
// proves nothing.
type Credential struct {
	role   Role   // of a role's token; RolePublic for any other
	screen string // the poll of a screen token
}

// credential returns what token proves at now: a role's token, else a screen token that keys
// signed and that has not expired, else nothing.
func credential(tokens Tokens, keys Keys, token string, now time.Time) Credential {
	if r := tokens.Role(token); r != RolePublic {
		return Credential{role: r}
	}
	if p, ok := keys.ScreenPoll(token, now); ok {
		return Credential{screen: p}
	}
	return Credential{}
}

// On returns the credential's role on poll ("": any poll).
func (c Credential) On(poll string) Role {
	switch {
	case c.role != RolePublic:
		return c.role
	case c.screen != "" && (poll == "" || poll == c.screen):
		return RoleScreen
	}
	return RolePublic
}

// tokenLocal is the key under which TokenGuard keeps what it found of a request's token (a
// tokenFound), for requests that sent one or sent one it could not read.
const tokenLocal = "livevote.token"

// tokenFound is what TokenGuard found of a request's token.
type tokenFound struct {
	cred Credential
	sent bool
	err  error
}

// TokenOf returns what the request's token proves, whether it sent one, and the error of reading
// it (a live-updates request's: TokenGuard.Live's), as TokenGuard found them once for the
// request. A request that TokenGuard did not see sent none.
func TokenOf(c *fiber.Ctx) (Credential, bool, error) {
	f, _ := c.Locals(tokenLocal).(tokenFound)
	return f.cred, f.sent, f.err
}

// Bearer returns the request's bearer token and whether it sent an Authorization header.
func Bearer(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		token = ""
	}
	return token, h != ""
}
