package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
)

// TestRateLimit: without a voter cookie a source may make limit requests a minute; each voter
// (a cookie this deployment signed) has limit of its own, and a source ipCeiling (10) times limit
// in all; a trusted subnet has no source limit, only the voters'. A refused request is reported
// once and answered with Retry-After.
func TestRateLimit(t *testing.T) {
	keys := access.NewKeys([]byte("secret"))
	var refused []string
	app := newApp(t)
	app.Use(access.RateLimit(2, sources(t), keys, func(c *fiber.Ctx, at time.Time) {
		if time.Since(at) > time.Minute {
			t.Errorf("refused at %v", at)
		}
		refused = append(refused, c.Path())
	}))
	app.Get("/api/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
	voter := func() []string {
		_, cookie := keys.NewVoter()
		return []string{"Cookie", access.VoterCookie + "=" + cookie}
	}
	for i := range 3 {
		want := map[bool]int{true: 429, false: 200}[i == 2]
		if a := get(t, app, "/api/x", "198.51.100.1"); a.status != want || (want == 429) != (a.retry != "") {
			t.Errorf("request %d without a cookie = %d (Retry-After %q), want %d", i+1, a.status, a.retry, want)
		}
	}
	if len(refused) != 1 || refused[0] != "/api/x" {
		t.Errorf("refused reported %q, want the one", refused)
	}
	// Voters behind one source: 2 each, the source 20 in all, of which the 3 above (a request
	// counts on its source before its voter's limit is looked at): 17 left.
	n := 0
	for range 10 {
		h := voter()
		for range 2 {
			if get(t, app, "/api/x", "198.51.100.1", h...).status == 200 {
				n++
			}
		}
	}
	if n != 17 {
		t.Errorf("%d requests of 10 voters (2 each) behind one source passed, want 17 (the source's 20, less 3)", n)
	}
	forged := []string{"Cookie", access.VoterCookie + "=someone.AAAAAAAAAAAAAAAAAAAAAA"}
	if a := get(t, app, "/api/x", "198.51.100.2", forged...); a.status != 200 {
		t.Fatalf("a forged cookie from a new source = %d", a.status)
	}
	if a := get(t, app, "/api/x", "198.51.100.2", forged...); a.status != 200 {
		t.Fatalf("a forged cookie, again = %d", a.status)
	}
	if a := get(t, app, "/api/x", "198.51.100.2", forged...); a.status != 429 {
		t.Errorf("a forged cookie counts as the source's: third = %d, want 429", a.status)
	}
	// A trusted subnet: no source limit, a voter still has 2.
	for i := range 30 {
		if a := get(t, app, "/api/x", "203.0.113.9"); a.status != 200 {
			t.Fatalf("request %d without a cookie from a trusted subnet = %d", i+1, a.status)
		}
	}
	h := voter()
	for i := range 3 {
		want := map[bool]int{true: 429, false: 200}[i == 2]
		if a := get(t, app, "/api/x", "203.0.113.9", h...); a.status != want {
			t.Errorf("a voter's request %d from a trusted subnet = %d, want %d", i+1, a.status, want)
		}
	}

	off := newApp(t)
	off.Use(access.RateLimit(0, sources(t), keys, nil))
	off.Get("/api/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
	for i := range 50 {
		if a := get(t, off, "/api/x", "198.51.100.1"); a.status != 200 {
			t.Fatalf("no limit: request %d = %d", i+1, a.status)
		}
	}
}

// TestPageLimit: a source may open pageFactor (5) times limit pages a minute; over it a browser
// gets a sentence in English and Chinese, a program the API's error, both with Retry-After; a
// trusted subnet has no limit.
func TestPageLimit(t *testing.T) {
	app := newApp(t)
	app.Use(access.PageLimit(2, sources(t)))
	app.Get("/page", func(c *fiber.Ctx) error { return c.SendString("page") })
	for i := range 10 {
		if a := get(t, app, "/page", "198.51.100.1"); a.status != 200 {
			t.Fatalf("page %d = %d", i+1, a.status)
		}
	}
	a := get(t, app, "/page", "198.51.100.1", "Accept", "text/html,*/*")
	if a.status != 429 || a.retry == "" || !strings.Contains(a.body, "try again in") || !strings.Contains(a.body, "秒后重试") {
		t.Errorf("a browser's 11th page = %d %q (Retry-After %q), want 429 with a sentence in both languages", a.status, a.body, a.retry)
	}
	if a := get(t, app, "/page", "198.51.100.1"); a.status != 429 || a.retry == "" || a.body != access.ErrRateLimited.Error() {
		t.Errorf("a program's 12th page = %d %q (Retry-After %q), want ErrRateLimited", a.status, a.body, a.retry)
	}
	if a := get(t, app, "/page", "198.51.100.2"); a.status != 200 {
		t.Errorf("another source = %d", a.status)
	}
	for i := range 15 {
		if a := get(t, app, "/page", "203.0.113.9"); a.status != 200 {
			t.Fatalf("trusted source, page %d = %d", i+1, a.status)
		}
	}
}
