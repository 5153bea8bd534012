package server

import (
	"encoding/base64"
	"github.com/livevote/livevote/server/access"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// How a live-updates connection (GET /ws/polls/{poll}) carries a token, never in its URL: URLs
// end up in access logs (the proxy's, a browser's history, a screen's shared link). Browsers
// cannot set an Authorization header on a WebSocket, so a page sends the token as a WebSocket
// subprotocol:
//
//	new WebSocket(url, ["livevote", "livevote.bearer." + base64url(token)])
//
// We take the subprotocol (the Sec-WebSocket-Protocol header of the handshake) rather than a
// first message after the upgrade because the check then stays before the upgrade: a wrong token,
// too many wrong tokens, a full pool are answered with an HTTP status and the API's JSON error
// (401, 403, 429 with Retry-After, 503), and a connection is admitted into its pool (the reserve
// for organisers and the screen, or the public's) before it holds a socket. A first message
// would have every unauthenticated client upgraded first, holding a slot of some pool while the
// server waits for its message, and refusals as close codes. A header is no more logged than an
// Authorization header is (nginx's and livevote's logs keep neither); Kubernetes' API server
// takes its bearer tokens in a subprotocol the same way.
//
// The token is base64url-encoded without padding because a subprotocol must be an HTTP token
// (no '=', '/', space, ...) and an organiser's token may hold any byte. The hub's upgrade answers
// with the subprotocol "livevote" (hubws.Subprotocol) when the client offers it, never with the
// token's. Programs may send "Authorization: Bearer <token>" instead.
const (
	wsTokenPrefix = "livevote.bearer."
	// wsMaxToken bounds an encoded token: far over any real one, and a header line's worth.
	wsMaxToken = 1024
)

// wsToken returns the token that the Sec-WebSocket-Protocol values carry (each value a
// comma-separated list of subprotocols), and whether one was sent. More than one token, one that
// is not base64url without padding, or an empty one is errInvalidRequest.
func wsToken(values []string) (string, bool, error) {
	token, sent := "", false
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			enc, ok := strings.CutPrefix(strings.TrimSpace(item), wsTokenPrefix)
			if !ok {
				continue
			}
			if sent || enc == "" || len(enc) > wsMaxToken || !access.IsBase64URL(enc) {
				return "", false, errBadWSToken
			}
			b, err := base64.RawURLEncoding.Strict().DecodeString(enc) // one spelling per token
			if err != nil || len(b) == 0 {
				return "", false, errBadWSToken
			}
			token, sent = string(b), true
		}
	}
	return token, sent, nil
}

// liveToken returns the token of a live-updates request: from its subprotocols, else its
// Authorization header, and whether one was sent. A token in the URL (?token=) is refused with
// errTokenInURL, whatever else the request has: it would be in every log of the request line.
// A token sent both ways is errBadWSToken.
func liveToken(c *fiber.Ctx) (string, bool, error) {
	if c.Context().QueryArgs().Has("token") {
		return "", false, errTokenInURL
	}
	var values []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderSecWebSocketProtocol) {
		values = append(values, string(v))
	}
	token, sent, err := wsToken(values)
	if err != nil {
		return "", false, err
	}
	b, bsent := access.Bearer(c)
	switch {
	case sent && bsent:
		return "", false, errBadWSToken
	case bsent:
		return b, true, nil
	}
	return token, sent, nil
}
