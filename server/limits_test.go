package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote/memstore"
)

// TestWrongTokensLimited (issue 24: 3,000 wrong tokens on live updates from one address, no 429):
// a source may send 10 wrong tokens a minute, on the API or live updates alike, each answered 401
// and logged without the token; then every request of it that carries a token, the organiser's
// included, is 429 rate_limited with Retry-After, while another source and requests without a
// token go on; a path in capitals is counted as the API (Fiber routes it there); a subnet the
// organiser trusts is never refused.
func TestWrongTokensLimited(t *testing.T) {
	var log bytes.Buffer
	e := newEnv(t, memstore.New(), nil, withProxy(), withLog(&log))
	from := func(ip string, h ...string) []string { return append([]string{"X-Forwarded-For", ip}, h...) }
	admin := "/api/v1/admin/polls/" + e.Poll.ID + "/held"
	for i := range 10 {
		var status int
		if i%2 == 0 {
			status = e.anonymous().get(admin, from("198.51.100.7", "Authorization", "Bearer guess-"+fmt.Sprint(i))...).Status
		} else {
			h := withToken("guess-" + fmt.Sprint(i))
			h.Set("X-Forwarded-For", "198.51.100.7")
			_, err := e.dial("", h)
			if err == nil || !strings.Contains(err.Error(), "401") {
				t.Fatalf("wrong token %d on live updates: %v, want 401", i+1, err)
			}
			status = 401
		}
		if status != 401 {
			t.Fatalf("wrong token %d = %d, want 401", i+1, status)
		}
	}
	for name, h := range map[string][]string{
		"a wrong token":   from("198.51.100.7", "Authorization", "Bearer guess-11"),
		"the organiser's": from("198.51.100.7", "Authorization", "Bearer "+adminToken),
	} {
		r := e.anonymous().get(admin, h...)
		if r.Status != 429 || r.Code(t) != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s after 10 wrong ones = %d %s (Retry-After %q), want 429 rate_limited", name, r.Status, r.Body, r.Header.Get("Retry-After"))
		}
	}
	h := withToken(adminToken)
	h.Set("X-Forwarded-For", "198.51.100.7")
	if _, err := e.dial("", h); err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("live updates with the organiser's token after 10 wrong ones: %v, want 429", err)
	}
	if r := e.anonymous().get("/api/v1/polls/"+e.Poll.ID, from("198.51.100.7")...); r.Status != 200 {
		t.Errorf("a request without a token from the source = %d, want 200", r.Status)
	}
	if r := e.anonymous().get(admin, from("198.51.100.8", "Authorization", "Bearer "+adminToken)...); r.Status != 200 {
		t.Errorf("the organiser from another source = %d %s, want 200", r.Status, r.Body)
	}
	// An IPv6 /64 is one source: addresses rotating inside it share its 10.
	for i := range 11 {
		r := e.anonymous().get(admin, from(fmt.Sprintf("2001:db8:1:2::%x", i+1), "Authorization", "Bearer guess")...)
		if want := map[bool]int{true: 429, false: 401}[i == 10]; r.Status != want {
			t.Errorf("wrong token %d from a new address of one /64 = %d, want %d", i+1, r.Status, want)
		}
	}
	// Fiber routes without regard to case: /API/v1/... is the API, its wrong tokens count, and
	// the organiser's token works there as anywhere.
	upper := "/API/V1/ADMIN/POLLS/" + e.Poll.ID + "/held"
	for i := range 11 {
		r := e.anonymous().get(upper, from("198.51.100.9", "Authorization", "Bearer guess")...)
		if want := map[bool]int{true: 429, false: 401}[i == 10]; r.Status != want {
			t.Errorf("wrong token %d on %s = %d, want %d", i+1, upper, r.Status, want)
		}
	}
	if r := e.anonymous().get(upper, from("198.51.100.10", "Authorization", "Bearer "+adminToken)...); r.Status != 200 {
		t.Errorf("the organiser on %s = %d %s, want 200", upper, r.Status, r.Body)
	}
	e.mustAdmin("trusted", map[string]any{"subnet": "203.0.113.0/24"})
	for i := range 15 {
		if r := e.anonymous().get(admin, from("203.0.113.9", "Authorization", "Bearer guess")...); r.Status != 401 {
			t.Fatalf("wrong token %d from a trusted subnet = %d, want 401", i+1, r.Status)
		}
	}
	logged := log.String()
	if n := strings.Count(logged, "wrong token"); n < 10 {
		t.Errorf("%d wrong tokens logged, want at least 10:\n%s", n, logged)
	}
	if strings.Contains(logged, "guess") || strings.Contains(logged, adminToken) {
		t.Errorf("a token in the log:\n%s", logged)
	}
}

// TestRateLimitIPv6Prefix (issue 24: 700 requests rotating inside one /64 all 200): the API rate
// limit counts an IPv6 source by its /64.
func TestRateLimitIPv6Prefix(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withProxy(), withRateLimit(5))
	poll := "/api/v1/polls/" + e.Poll.ID
	for i := range 6 {
		r := e.phone(fmt.Sprintf("2001:db8:7:7:%x::1", i+1)).get(poll)
		if want := map[bool]int{true: 429, false: 200}[i == 5]; r.Status != want {
			t.Errorf("request %d without a cookie from a new address of one /64 = %d, want %d", i+1, r.Status, want)
		}
	}
	if r := e.phone("2001:db8:7:8::1").get(poll); r.Status != 200 {
		t.Errorf("another /64 = %d", r.Status)
	}
}

// TestPageLimit (issue 24: 1,500 ballot pages from one address, each a new cookie, all 200): the
// pages are limited per source to 5 times LIVEVOTE_RATE_LIMIT a minute (3,000 by default: a venue
// of a few thousand phones behind one address), 429 with Retry-After over it; a trusted subnet has
// no limit.
func TestPageLimit(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withProxy(), withRateLimit(2))
	pages := []string{"/vote/" + e.Poll.ID, "/screen/" + e.Poll.ID, "/live/" + e.Poll.ID, "/receipt/abc", "/vote/" + e.Poll.ID}
	for i := range 10 {
		if r := e.phone("198.51.100.20").get(pages[i%len(pages)]); r.Status != 200 {
			t.Fatalf("page %d (%s) = %d", i+1, pages[i%len(pages)], r.Status)
		}
	}
	r := e.phone("198.51.100.20").get("/vote/" + e.Poll.ID)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("the 11th page from one source = %d (Retry-After %q), want 429", r.Status, r.Header.Get("Retry-After"))
	}
	if r := e.anonymous().get("/live/"+e.Poll.ID, "X-Forwarded-For", "198.51.100.20", "Accept", "text/html"); r.Status != 429 ||
		!strings.Contains(string(r.Body), "try again in") || !strings.Contains(string(r.Body), "秒后重试") {
		t.Errorf("a browser's page over the limit = %d %s, want 429 with a sentence in both languages", r.Status, r.Body)
	}
	if r := e.phone("198.51.100.21").get("/vote/" + e.Poll.ID); r.Status != 200 {
		t.Errorf("another source = %d", r.Status)
	}
	if r := e.phone("198.51.100.20").get("/static/common.js"); r.Status != 200 {
		t.Errorf("a page's file from the limited source = %d, want 200 (files are not limited)", r.Status)
	}
	e.mustAdmin("trusted", map[string]any{"subnet": "198.51.100.0/24"})
	for i := range 15 {
		if r := e.phone("198.51.100.20").get("/vote/" + e.Poll.ID); r.Status != 200 {
			t.Fatalf("trusted source, page %d = %d", i+1, r.Status)
		}
	}
}
