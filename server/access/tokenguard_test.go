package access_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
)

// newApp returns a Fiber app whose error handler answers this package's errors with the status
// package server gives them (server/errors.go), and any other error 500.
func newApp(t *testing.T) *fiber.App {
	t.Helper()
	return fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		status := fiber.StatusInternalServerError
		switch {
		case errors.Is(err, access.ErrRateLimited), errors.Is(err, access.ErrTooManyFailures):
			status = fiber.StatusTooManyRequests
		case errors.Is(err, access.ErrUnauthorized):
			status = fiber.StatusUnauthorized
		case errors.Is(err, access.ErrForbidden):
			status = fiber.StatusForbidden
		}
		return c.Status(status).SendString(err.Error())
	}})
}

// answer is a test request's status, Retry-After and body.
type answer struct {
	status int
	retry  string
	body   string
}

// get sends GET path from the client ip (app.Test's peer is 0.0.0.0, a trusted proxy here) with
// the headers h (name, value, ...).
func get(t *testing.T, app *fiber.App, path, ip string, h ...string) answer {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("X-Forwarded-For", ip)
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(body)}
}

// sources trusts app.Test's peer as a proxy, and the subnet 203.0.113.0/24 as the organiser would.
func sources(t *testing.T) access.Sources {
	t.Helper()
	px, err := access.ParseProxies([]string{"0.0.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	venue := netip.MustParsePrefix("203.0.113.0/24")
	return access.Sources{Proxies: px, Trusted: venue.Contains}
}

// TestTokenGuard: the guard reads a request's token once (live updates' with Live, which it
// calls once per request however many handlers ask) and keeps what it proves for the handlers; a
// screen token counts on its own poll only, until it expires; a path is the API's in any case,
// as Fiber routes it. A source may send Wrong wrong
// tokens a minute, each passed on and logged without the token; then every request of it with
// a token, the organiser's too, is refused with Retry-After, while other sources and requests
// without a token go on; a trusted subnet is never refused.
func TestTokenGuard(t *testing.T) {
	keys := access.NewKeys([]byte("secret"))
	now := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	screen := keys.NewScreenToken("p1", now.Add(time.Hour))
	var log bytes.Buffer
	liveCalls := 0
	g := access.TokenGuard{
		Tokens: access.NewTokens("org", "op", "aud"),
		Keys:   keys,
		Live: func(c *fiber.Ctx) (string, bool, error) {
			liveCalls++
			if p := c.Get("Sec-WebSocket-Protocol"); p != "" {
				if p == "bad" {
					return "", false, errors.New("unreadable")
				}
				return p, true, nil
			}
			token, sent := access.Bearer(c)
			return token, sent, nil
		},
		From:  sources(t),
		Wrong: 3,
		Now:   func() time.Time { return now },
		Log:   slog.New(slog.NewTextHandler(&log, nil)),
	}
	app := newApp(t)
	app.Use(g.Handler())
	role := func(c *fiber.Ctx) error {
		cred, sent, err := access.TokenOf(c)
		if err != nil {
			return c.SendString("error " + err.Error())
		}
		return c.SendString(fmt.Sprintf("%s %v %s", access.RoleOf(c), sent, cred.On("p2")))
	}
	app.Get("/api/polls/:poll", role)
	app.Get("/api/any", role)
	app.Get("/api/admin/:poll", access.RequireToken(), access.Require(access.RightResults), role)
	app.Get("/ws/:poll", access.Require(access.RightResults), role)
	app.Get("/page", role)

	bearer := func(token string) []string {
		if token == "" {
			return nil
		}
		return []string{"Authorization", "Bearer " + token}
	}
	for _, c := range []struct {
		path, token, want string
	}{
		{"/api/polls/p1", "", "public false public"},
		{"/api/polls/p1", "org", "organiser true organiser"},
		{"/api/polls/p1", "aud", "auditor true auditor"},
		{"/api/polls/p1", screen, "screen true public"},
		{"/api/polls/p2", screen, "public true public"},
		{"/api/any", screen, "screen true public"},
		{"/API/any", "org", "organiser true organiser"}, // Fiber routes without regard to case
		{"/api/admin/p1", screen, "screen true public"},
		{"/page", "org", "public false public"}, // pages read no token
	} {
		if a := get(t, app, c.path, "198.51.100.1", bearer(c.token)...); a.body != c.want {
			t.Errorf("%s with %.10q = %d %q, want %q", c.path, c.token, a.status, a.body, c.want)
		}
	}
	if a := get(t, app, "/api/admin/p2", "198.51.100.1", bearer(screen)...); a.status != 401 {
		t.Errorf("a screen token on another poll's organiser route = %d %q, want 401", a.status, a.body)
	}
	if a := get(t, app, "/api/admin/p1", "198.51.100.1", bearer("aud")...); a.status != 403 {
		t.Errorf("the auditor setting the results = %d %q, want 403", a.status, a.body)
	}
	expired := keys.NewScreenToken("p1", now)
	if a := get(t, app, "/api/polls/p1", "198.51.100.1", bearer(expired)...); a.body != "public true public" {
		t.Errorf("an expired screen token = %q", a.body)
	}

	liveCalls = 0
	if a := get(t, app, "/ws/p1", "198.51.100.1", "Sec-WebSocket-Protocol", "op"); a.body != "operator true operator" || liveCalls != 1 {
		t.Errorf("live updates with the operator's token = %d %q, Live called %d times, want once", a.status, a.body, liveCalls)
	}
	if a := get(t, app, "/ws/p1", "198.51.100.1", "Sec-WebSocket-Protocol", "bad"); a.status != 401 {
		t.Errorf("an unreadable live token through Require = %d %q, want 401", a.status, a.body)
	}

	// Wrong tokens: 3 a minute from one source (the one wrong expired token above was one).
	log.Reset()
	from := "198.51.100.7"
	for i, path := range []string{"/api/any", "/API/any", "/api/any"} { // in any case, as routed
		if a := get(t, app, path, from, bearer(fmt.Sprint("guess-", i))...); a.status != 200 {
			t.Fatalf("wrong token %d = %d %q, want passed on", i+1, a.status, a.body)
		}
	}
	for name, h := range map[string][]string{
		"a wrong token":              bearer("guess-4"),
		"the organiser's":            bearer("org"),
		"the operator's, on live":    {"Sec-WebSocket-Protocol", "op"},
		"a screen token on its poll": bearer(screen),
	} {
		path := "/api/polls/p1"
		if name == "the operator's, on live" {
			path = "/ws/p1"
		}
		if a := get(t, app, path, from, h...); a.status != 429 || a.retry == "" {
			t.Errorf("%s after 3 wrong ones = %d %q (Retry-After %q), want 429", name, a.status, a.body, a.retry)
		}
	}
	if a := get(t, app, "/api/any", from); a.status != 200 {
		t.Errorf("no token from the source = %d %q, want 200", a.status, a.body)
	}
	if a := get(t, app, "/api/any", "198.51.100.8", bearer("org")...); a.body != "organiser true organiser" {
		t.Errorf("the organiser from another source = %d %q", a.status, a.body)
	}
	for i := range 4 { // an IPv6 /64 is one source
		want := map[bool]int{true: 429, false: 200}[i == 3]
		if a := get(t, app, "/api/any", fmt.Sprintf("2001:db8:1:2::%x", i+1), bearer("guess")...); a.status != want {
			t.Errorf("wrong token %d from a new address of one /64 = %d, want %d", i+1, a.status, want)
		}
	}
	for i := range 6 {
		if a := get(t, app, "/api/any", "203.0.113.9", bearer("guess")...); a.status != 200 {
			t.Fatalf("wrong token %d from a trusted subnet = %d, want passed on", i+1, a.status)
		}
	}
	logged := log.String()
	if n := strings.Count(logged, "wrong token"); n != 6 {
		t.Errorf("%d wrong tokens logged, want 6 (trusted subnets are not counted):\n%s", n, logged)
	}
	if strings.Contains(logged, "guess") || strings.Contains(logged, "org") {
		t.Errorf("a token in the log:\n%s", logged)
	}
}
