package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// voterCookie is the name of the cookie that identifies a voter.
const voterCookie = "lv_voter"

// keys derives every secret value of the server from LIVEVOTE_SECRET, each for one purpose, so that
// no two uses share a key.
type keys struct {
	cookie, voterHash, challenge, source, screen macs
}

func newKeys(secret []byte) keys {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("livevote/" + purpose))
		return m.Sum(nil)
	}
	return keys{cookie: newMACs(derive("cookie")), voterHash: newMACs(derive("voter")),
		challenge: newMACs(derive("challenge")), source: newMACs(derive("source")),
		screen: newMACs(derive("screen"))}
}

// macs hands out HMAC-SHA256s of one key with the buffers of one use, so that a request does not
// set one up (the key's two hash blocks and the allocations) for each use: a vote uses six.
type macs struct{ pool *sync.Pool } // of *keyedMAC

// keyedMAC is one HMAC of a macs's key, its message as built so far, and its sum.
type keyedMAC struct {
	h   hash.Hash
	msg []byte
	sum [sha256.Size]byte
}

func newMACs(key []byte) macs {
	return macs{&sync.Pool{New: func() any { return &keyedMAC{h: hmac.New(sha256.New, key)} }}}
}

// digest returns HMAC(key, the message that build appends to msg). It allocates nothing once the
// pool's buffers have grown to the messages' size.
func (m macs) digest(build func(msg []byte) []byte) [sha256.Size]byte {
	km := m.pool.Get().(*keyedMAC)
	km.msg = build(km.msg[:0])
	km.h.Reset()
	km.h.Write(km.msg)
	km.h.Sum(km.sum[:0])
	sum := km.sum
	m.pool.Put(km)
	return sum
}

// sum returns HMAC(key, each part followed by a 0 byte).
func (m macs) sum(parts ...string) []byte {
	sum := m.digest(func(msg []byte) []byte {
		for _, p := range parts {
			msg = append(append(msg, p...), 0)
		}
		return msg
	})
	return sum[:]
}

// newVoter mints a voter id and the cookie value that carries it: id "." HMAC.
func (k keys) newVoter() (id, cookie string) {
	id = rand.Text()
	return id, id + "." + base64.RawURLEncoding.EncodeToString(k.cookie.sum(id)[:16])
}

// voterID returns the voter id of a cookie value, or "" when the value is not one this deployment
// signed.
func (k keys) voterID(cookie string) string {
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

// voterKey is what the store keeps instead of the voter id: a keyed hash, the same on every
// instance that shares the secret.
func (k keys) voterKey(id string) string { return hex.EncodeToString(k.voterHash.sum(id)[:16]) }

// voter returns the voter id of the request's cookie, or "".
func (k keys) voter(c *fiber.Ctx) string { return k.voterID(c.Cookies(voterCookie)) }

// ensureVoter returns the request's voter id, minting one and setting its cookie when the request
// has none.
func (k keys) ensureVoter(c *fiber.Ctx) string {
	if id := k.voter(c); id != "" {
		return id
	}
	id, value := k.newVoter()
	c.Cookie(&fiber.Cookie{
		Name:     voterCookie,
		Value:    value,
		Path:     "/",
		Expires:  time.Now().Add(400 * 24 * time.Hour),
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode,
		Secure:   c.Protocol() == "https",
	})
	return id
}
