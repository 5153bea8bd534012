package access

import (
	"crypto/hmac"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// A screen token is the big screen's credential (issue 22): the console mints one for the link
// it gives to the screen, instead of putting the organiser's own token in it. It is bound to one
// poll and expires; it opens live updates in the reserved pool as the public sees them (so that
// no crowd takes the screen off the air, and no hidden tally reaches the projected image) and
// sets the results visibility of its poll (the reveal from the screen's keys), nothing else
// (roles.go, tokens.go). It is signed with LIVEVOTE_SECRET, so every instance accepts it and nothing is
// stored; one is revoked only by changing the secret or by waiting for its expiry.
//
// Its form is "lvscreen1." base64url(poll) "." expiry (Unix seconds) "." base64url(HMAC), the
// HMAC of the poll and expiry under a key derived from the secret for this purpose only.
const (
	screenTokenPrefix = "lvscreen1."
	// ScreenTokenTTL is how long a screen token lasts: an evening with its rehearsal.
	ScreenTokenTTL = 24 * time.Hour
)

// NewScreenToken returns a screen token for poll that expires at expires.
func (k Keys) NewScreenToken(poll string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return screenTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(poll)) + "." + exp + "." +
		base64.RawURLEncoding.EncodeToString(k.screen.sum(poll, exp)[:18])
}

// ScreenPoll returns the poll of a screen token this deployment signed that has not expired at
// now, and false for anything else.
func (k Keys) ScreenPoll(token string, now time.Time) (string, bool) {
	rest, ok := strings.CutPrefix(token, screenTokenPrefix)
	if !ok || len(rest) > 512 {
		return "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || !IsBase64URL(parts[0]) || !IsBase64URL(parts[2]) {
		return "", false
	}
	poll, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil || len(poll) == 0 {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || parts[1] != strconv.FormatInt(exp, 10) || now.Unix() >= exp {
		return "", false
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, k.screen.sum(string(poll), parts[1])[:18]) {
		return "", false
	}
	return string(poll), true
}

// IsBase64URL reports whether s has only base64url's letters (the decoder would skip CR and LF).
func IsBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
