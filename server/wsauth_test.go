package server

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzWSToken feeds arbitrary Sec-WebSocket-Protocol values to the live updates' token parser:
// it never panics; what it accepts is one non-empty token that, encoded again, is what the value
// carried; a token a page encodes (any non-empty bytes) always comes back as it was.
func FuzzWSToken(f *testing.F) {
	for _, s := range []string{"livevote", "livevote, livevote.bearer.b3JnYW5pc2Vy", "livevote.bearer.",
		"livevote.bearer.b3Jn=", "livevote.bearer.+/", "livevote.bearer.YQ, livevote.bearer.Yg", " livevote.bearer.YQ ,x",
		"livevote.bearer." + strings.Repeat("A", 2000), "", ",,,", "chat, superchat"} {
		f.Add(s, []byte("organiser-token"))
	}
	f.Fuzz(func(t *testing.T, header string, raw []byte) {
		token, sent, err := wsToken([]string{header})
		switch {
		case err != nil && (sent || token != ""):
			t.Fatalf("%q: an error with a token", header)
		case sent && (token == "" || !strings.Contains(header, wsTokenPrefix+base64.RawURLEncoding.EncodeToString([]byte(token)))):
			t.Fatalf("%q: token %q is not what the value carried", header, token)
		case !sent && err == nil && token != "":
			t.Fatalf("%q: a token without sending one", header)
		}
		if len(raw) == 0 || base64.RawURLEncoding.EncodedLen(len(raw)) > wsMaxToken {
			return
		}
		page := "livevote, " + wsTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
		if got, sent, err := wsToken([]string{page}); err != nil || !sent || got != string(raw) {
			t.Fatalf("the page's %q: %q, %v, %v", page, got, sent, err)
		}
	})
}
