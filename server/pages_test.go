package server_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote/memstore"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/server/pages"
	"github.com/livevote/livevote/vote"
)

func TestPagesAreServed(t *testing.T) {
	e := newEnv(t, memstore.New(), nil)
	id := e.Poll.ID
	for _, tc := range []struct {
		path, contentType, contains string
		status                      int
	}{
		{"/", "text/html", `src="/static/vote.js"`, 200},
		{"/vote/" + id, "text/html", `src="/static/vote.js"`, 200},
		{"/vote/no-such-poll", "text/html", "This page does not exist.", 404},
		{"/receipt/abc", "text/html", `src="/static/receipt.js"`, 200},
		{"/screen/" + id, "text/html", `src="/static/screen.js"`, 200},
		{"/screen/no-such-poll", "text/html", "This page does not exist.", 404},
		{"/organiser/" + id, "text/html", `src="/static/organiser.js"`, 200},
		{"/live/" + id, "text/html", `src="/static/live.js"`, 200},
		{"/static/vote.js", "text/javascript", "import", 200},
		{"/static/pow.js", "text/javascript", "SHA-256", 200},
		{"/static/app.css", "text/css", ":root", 200},
		{"/static/icon.svg", "image/svg+xml", "<svg", 200},
		{"/static/codes.js", "text/javascript", "export const errorCodes = [", 200},
	} {
		r := e.anonymous().get(tc.path)
		if r.Status != tc.status || !strings.HasPrefix(r.Header.Get("Content-Type"), tc.contentType) || !bytes.Contains(r.Body, []byte(tc.contains)) {
			t.Errorf("GET %s = %d %q, %d bytes; want %d %s with %q", tc.path, r.Status, r.Header.Get("Content-Type"), len(r.Body), tc.status, tc.contentType, tc.contains)
		}
		if tc.contentType == "text/html" {
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
			}
		}
	}
	for _, path := range []string{"/static/no-such.js", "/static/vote.html", "/static/", "/qr/no-such-poll.svg"} {
		if r := e.anonymous().get(path); r.Status != 404 {
			t.Errorf("GET %s = %d, want 404", path, r.Status)
		}
	}
}

func TestBallotPageGivesTheVoterCookie(t *testing.T) {
	e := newEnv(t, memstore.New(), nil)
	c := e.anonymous()
	r := c.mustGet("/vote/"+e.Poll.ID, 200)
	if !strings.Contains(r.Header.Get("Set-Cookie"), "lv_voter=") {
		t.Fatalf("the ballot page set no voter cookie: %v", r.Header)
	}
	// The cookie from the page is good for a vote (the poll has difficulty 0).
	if r := c.do("POST", "/api/v1/polls/"+e.Poll.ID+"/votes", []byte(`{"choices":["a"]}`)); r.Status != 201 {
		t.Errorf("vote with the page's cookie = %d %s", r.Status, r.Body)
	}
	if r := c.mustGet("/vote/"+e.Poll.ID, 200); r.Header.Get("Set-Cookie") != "" {
		t.Errorf("the ballot page replaced a valid cookie: %s", r.Header.Get("Set-Cookie"))
	}
}

// TestCodesModule: /static/codes.js gives the pages the Go lists (error codes, vote results, fraud
// signals with their severity, statuses, visibilities, the limits), under the pages' policy,
// gzipped and revalidated like the files. (internal/pagecodes checks it byte for byte.)
func TestCodesModule(t *testing.T) {
	e := newEnv(t, memstore.New(), nil)
	c := e.anonymous()
	r := c.mustGet("/static/codes.js", 200, "Accept-Encoding", "identity")
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if r := c.get("/static/codes.js", "If-None-Match", r.Header.Get("ETag"), "Accept-Encoding", "identity"); r.Status != http.StatusNotModified {
		t.Errorf("revalidation = %d, want 304", r.Status)
	}
	var got struct {
		ErrorCodes, VoteResults []string
		Signals                 []struct{ Name, Severity string }
		Statuses, Settable      []vote.Status
		Visibilities            []vote.Visibility
		Languages               []string
		MaxDifficulty, MaxHz    int
		Hz                      map[string]int
	}
	exports := map[string]any{"errorCodes": &got.ErrorCodes, "voteResults": &got.VoteResults, "signals": &got.Signals,
		"statuses": &got.Statuses, "settableStatuses": &got.Settable, "visibilities": &got.Visibilities, "languages": &got.Languages,
		"maxDifficulty": &got.MaxDifficulty, "hz": &got.Hz, "maxHz": &got.MaxHz}
	for _, m := range regexp.MustCompile(`(?m)^export const (\w+) = (.*);$`).FindAllSubmatch(r.Body, -1) {
		v, ok := exports[string(m[1])]
		if !ok {
			t.Errorf("codes.js exports %s", m[1])
			continue
		}
		delete(exports, string(m[1]))
		if err := json.Unmarshal(m[2], v); err != nil {
			t.Errorf("codes.js: %s: %v", m[1], err)
		}
	}
	if len(exports) > 0 {
		t.Fatalf("codes.js lacks %v:\n%s", exports, r.Body)
	}
	if !slices.Equal(got.ErrorCodes, server.ErrorCodes()) || !slices.Equal(got.VoteResults, server.VoteResults()) {
		t.Errorf("codes.js: errorCodes %v, voteResults %v", got.ErrorCodes, got.VoteResults)
	}
	if !slices.Equal(got.Statuses, vote.Statuses) || !slices.Equal(got.Settable, []vote.Status{vote.StatusOpen, vote.StatusPaused, vote.StatusClosed}) || !slices.Equal(got.Visibilities, vote.Visibilities) ||
		got.MaxDifficulty != vote.MaxDifficulty || got.MaxHz != hub.MaxHz || !maps.Equal(got.Hz, pages.Hz()) ||
		len(got.Languages) == 0 || got.Languages[0] != "en" {
		t.Errorf("codes.js: statuses %v, visibilities %v, languages %v, maxDifficulty %d, hz %v, maxHz %d",
			got.Statuses, got.Visibilities, got.Languages, got.MaxDifficulty, got.Hz, got.MaxHz)
	}
	if len(got.Signals) != len(vote.Signals) {
		t.Fatalf("codes.js: signals %v, want %v", got.Signals, vote.Signals)
	}
	for i, s := range got.Signals {
		want := map[fraud.Severity]string{fraud.Definite: "definite", fraud.Strong: "strong", fraud.Weak: "weak", fraud.Pending: "pending"}[fraud.SeverityOf(vote.Signals[i])]
		if s.Name != string(vote.Signals[i]) || s.Severity != want {
			t.Errorf("codes.js: signal %d is %v, want %s (%s)", i, s, vote.Signals[i], want)
		}
	}
}

// TestErrorLists: the lists of codes hold each code once; a vote's results are accepted, held
// and codes of the API, not those only other requests get.
func TestErrorLists(t *testing.T) {
	codes, results := server.ErrorCodes(), server.VoteResults()
	for _, list := range [][]string{codes, results} {
		if len(slices.Compact(slices.Sorted(slices.Values(list)))) != len(list) {
			t.Errorf("a code twice in %v", list)
		}
	}
	for _, want := range []string{"invalid_request", "unauthorized", "already_voted", "not_held", "internal"} {
		if !slices.Contains(codes, want) {
			t.Errorf("ErrorCodes() = %v, without %s", codes, want)
		}
	}
	for _, r := range results[2:] {
		if !slices.Contains(codes, r) {
			t.Errorf("vote result %s is not an error code (%v)", r, codes)
		}
	}
	for _, want := range []string{"accepted", "held", "rate_limited", "body_too_large", "poll_not_found", "invalid_request",
		"voter_token_required", "voting_closed", "challenge_failed", "invalid_choice", "already_voted", "unavailable", "internal"} {
		if !slices.Contains(results, want) {
			t.Errorf("VoteResults() = %v, without %s", results, want)
		}
	}
	for _, other := range []string{"unauthorized", "receipt_not_found", "not_held", "not_found", "upgrade_required"} {
		if slices.Contains(results, other) {
			t.Errorf("VoteResults() = %v: a vote never ends with %s", results, other)
		}
	}
}

// qrURL finds the address in a QR code's SVG (server/pages draws it).
var qrURL = regexp.MustCompile(`^<svg [^>]*data-url="([^"]+)"`)

// TestQRCodeHost: without LIVEVOTE_PUBLIC_URL the QR code is drawn from the Host header, so a Host
// that is not a host name or an IP address, with an optional port, is refused with 400
// invalid_host: it never ends up in the code. X-Forwarded-Host is not read, even from a trusted
// proxy.
func TestQRCodeHost(t *testing.T) {
	for _, tc := range []struct {
		name, host, forwarded string
		status                int
	}{
		{"a name", "vote.example.org", "", 200},
		{"a name and a port", "vote.example.org:8443", "", 200},
		{"an IPv4 address", "192.0.2.7:8080", "", 200},
		{"an IPv6 address", "[2001:db8::1]:8080", "", 200},
		{"a path", "evil.example/phish?x=", "", 400},
		{"user info", "user@evil.example", "", 400},
		{"a quote", `evil.example"onload="x`, "", 400},
		{"a bad port", "vote.example.org:http", "", 400},
		{"a label too long", strings.Repeat("a", 64) + ".example", "", 400},
		{"too long for a QR code", strings.Repeat("abcdefghij.", 300) + "example", "", 400},
		{"a forwarded host is not read", "vote.example.org", "evil.example/phish", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, memstore.New(), nil, withProxies("127.0.0.1"))
			req := "GET /qr/" + e.Poll.ID + ".svg HTTP/1.1\r\nHost: " + tc.host + "\r\n"
			if tc.forwarded != "" {
				req += "X-Forwarded-Host: " + tc.forwarded + "\r\n"
			}
			r := e.raw(req + "Connection: close\r\n\r\n")
			if r.Status != tc.status {
				t.Fatalf("Host %.60q: %d %.200s, want %d", tc.host, r.Status, r.Body, tc.status)
			}
			if tc.status == 400 {
				if code := r.Code(t); code != "invalid_host" {
					t.Errorf("code %s, want invalid_host", code)
				}
				return
			}
			if m := qrURL.FindSubmatch(r.Body); m == nil || string(m[1]) != "http://"+tc.host+"/vote/"+e.Poll.ID {
				t.Errorf("QR code of %q", m)
			}
		})
	}
}
