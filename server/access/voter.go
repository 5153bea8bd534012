package access

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// VoterCookie is the name of the cookie that identifies a voter.
const VoterCookie = "lv_voter"

// NewVoter mints a voter id and the cookie value that carries it: id "." HMAC.
func (k Keys) NewVoter() (id, cookie string) {
	id = rand.Text()
	return id, id + "." + base64.RawURLEncoding.EncodeToString(k.cookie.sum(id)[:16])
}

// VoterID returns the voter id of a cookie value, or "" when the value is not one this deployment
// signed.
func (k Keys) VoterID(cookie string) string {
	id, sig, ok := strings.Cut(cookie, ".")
	if !ok || id == "" || len(id) > 64 {
		return ""
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.cookie.sum(id)[:16]) {
		return ""
	}
	return id
}

// VoterKey is what the store keeps instead of the voter id: a keyed hash, the same on every
// instance that shares the secret.
func (k Keys) VoterKey(id string) string { return hex.EncodeToString(k.voterHash.sum(id)[:16]) }

// Voter returns the voter id of the request's cookie, or "".
func (k Keys) Voter(c *fiber.Ctx) string { return k.VoterID(c.Cookies(VoterCookie)) }

// EnsureVoter returns the request's voter id, minting one and setting its cookie when the request
// has none.
func (k Keys) EnsureVoter(c *fiber.Ctx) string {
	if id := k.Voter(c); id != "" {
		return id
	}
	id, value := k.NewVoter()
	c.Cookie(&fiber.Cookie{
		Name:     VoterCookie,
		Value:    value,
		Path:     "/",
		Expires:  time.Now().Add(400 * 24 * time.Hour),
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode,
		Secure:   c.Protocol() == "https",
	})
	return id
}

// EnsurePartitionedVoter is ensureVoter for a ballot in a partner's frame: a new voter's cookie is
// partitioned (fiber.Cookie has no Partitioned attribute: the header is written here).
func (k Keys) EnsurePartitionedVoter(c *fiber.Ctx) string {
	if id := k.Voter(c); id != "" {
		return id
	}
	id, value := k.NewVoter()
	const age = 400 * 24 * time.Hour
	c.Response().Header.Add(fiber.HeaderSetCookie, VoterCookie+"="+value+"; Path=/; Max-Age="+
		strconv.Itoa(int(age/time.Second))+"; HttpOnly; Secure; SameSite=None; Partitioned")
	return id
}
