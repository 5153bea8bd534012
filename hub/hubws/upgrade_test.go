package hubws

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestValidHandshake: the handshakes the upgrade takes, as RFC 6455 (section 4.2.1) has them.
func TestValidHandshake(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455's example: 16 bytes
	for _, tc := range []struct {
		name                     string
		method, version, key, up string
		want                     bool
	}{
		{"valid", "GET", "13", key, "websocket", true},
		{"13 among others", "GET", "8, 13", key, "websocket", true},
		{"old version", "GET", "8", key, "websocket", false},
		{"no version", "GET", "", key, "websocket", false},
		{"key not base64", "GET", "13", "not base64!", "websocket", false},
		{"key of 15 bytes", "GET", "13", "dGhlIHNhbXBsZSBub25j", "websocket", false},
		{"no key", "GET", "13", "", "websocket", false},
		{"not an upgrade to websocket", "GET", "13", key, "h2c", false},
		// Fiber routes a HEAD to a GET route; the upgrade takes a GET only.
		{"HEAD", "HEAD", "13", key, "websocket", false},
	} {
		app := fiber.New()
		got := !tc.want
		app.Get("/", func(c *fiber.Ctx) error { got = validHandshake(c); return nil })
		req := httptest.NewRequest(tc.method, "/", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", tc.up)
		req.Header.Set("Sec-WebSocket-Version", tc.version)
		req.Header.Set("Sec-WebSocket-Key", tc.key)
		if _, err := app.Test(req); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: %t, want %t", tc.name, got, tc.want)
		}
	}
}
