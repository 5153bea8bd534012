package server_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

var bootBlock = regexp.MustCompile(`<script type="application/json" id="boot">([^<]*)</script>\n</head>`)

// boot returns the boot block of the ballot page at path.
func boot(t *testing.T, c *client, path string) map[string]any {
	t.Helper()
	r := c.mustGet(path, 200)
	m := bootBlock.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("GET %s: no boot block in the page: %.600s", path, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET %s: Cache-Control %q, want no-store (the page is the voter's own)", path, cc)
	}
	var out map[string]any
	if err := json.Unmarshal(m[1], &out); err != nil {
		t.Fatalf("boot block: %v", err)
	}
	return out
}

func TestBallotPageCarriesThePollAndAChallenge(t *testing.T) {
	e := newEnv(t, memstore.New(), []string{"difficulty: 500"})
	c := e.anonymous()
	b := boot(t, c, "/vote/"+e.Poll.ID)
	poll := b["poll"].(map[string]any)
	if poll["id"] != e.Poll.ID || len(poll["candidates"].([]any)) != 3 || poll["status"] != "open" || poll["difficulty"] != 500.0 {
		t.Errorf("boot poll: %v", poll)
	}
	if b["me"].(map[string]any)["voted"] != false {
		t.Errorf("boot me of a new voter: %v", b["me"])
	}
	// The challenge in the page is good for this voter's vote, with the page's cookie.
	ch := b["challenge"].(map[string]any)
	body := map[string]any{"choices": []string{"b"}, "pow": solveChallenge(t, ch)}
	r := c.postJSON("/api/v1/polls/"+e.Poll.ID+"/votes", body)
	if r.Status != 201 {
		t.Fatalf("vote with the page's challenge = %d %s", r.Status, r.Body)
	}
	receipt := r.JSON(t)["receipt"]
	// Once voted, the page carries the ballot and no challenge; "/" serves the open poll.
	b = boot(t, c, "/")
	if me := b["me"].(map[string]any); me["voted"] != true || me["receipt"] != receipt || b["challenge"] != nil {
		t.Errorf("boot after voting: me %v, challenge %v", me, b["challenge"])
	}
	if b["poll"].(map[string]any)["id"] != e.Poll.ID {
		t.Errorf("/ carries poll %v", b["poll"].(map[string]any)["id"])
	}
	if g := c.mustGet("/vote/"+e.Poll.ID, 200, "Accept-Encoding", "gzip"); g.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("the ballot page is not gzipped: %v", g.Header)
	}
}

func TestBootOfAPausedPollHasNoChallenge(t *testing.T) {
	e := newEnv(t, memstore.New(), []string{"status: paused"})
	b := boot(t, e.anonymous(), "/vote/"+e.Poll.ID)
	if b["poll"].(map[string]any)["status"] != "paused" || b["challenge"] != nil {
		t.Errorf("boot of a paused poll: status %v, challenge %v", b["poll"].(map[string]any)["status"], b["challenge"])
	}
}

func TestPeopleGetAPageProgramsGetJSON(t *testing.T) {
	e := newEnv(t, memstore.New(), nil)
	html := []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	for _, path := range []string{"/no-such-page", "/live", "/live/", "/vote", "/screen", "/receipts/abc", "/static"} {
		r := e.anonymous().get(path, html...)
		if r.Status != 404 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.Body), "This page does not exist.") {
			t.Errorf("browser GET %s = %d %s: %.200s", path, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	if r := e.anonymous().get("/receipt", html...); r.Status != 200 || !strings.Contains(string(r.Body), `src="/static/receipt.js"`) {
		t.Errorf("GET /receipt = %d, want the receipt page to type a code in", r.Status)
	}
	for _, tc := range []struct{ path, accept string }{
		{"/api/v1/nothing", html[1]}, {"/no-such-page", "application/json"}, {"/no-such-page", ""},
	} {
		r := e.anonymous().get(tc.path, "Accept", tc.accept)
		if r.Status != 404 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.JSON(t)["error"].(map[string]any)["code"] != "not_found" {
			t.Errorf("GET %s (Accept %q) = %d %s: %.200s", tc.path, tc.accept, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
}

func TestLogoIsServedFromTheBallotFile(t *testing.T) {
	p := votetest.Poll(t, `branding: {logo: "data:image/png;base64,iVBORw0KGgo=", colors: {accent: "#f4d35e"}}`)
	e := newEnv(t, memstore.New(), nil, func(c *server.Config) { c.Polls = []*vote.Poll{p} })
	poll := e.anonymous().mustGet("/api/v1/polls/"+p.ID, 200).JSON(t)
	br, _ := poll["branding"].(map[string]any)
	if br["logo"] != "/branding/"+p.ID+"/logo" || br["accent"] != "#f4d35e" || br["background"] != nil {
		t.Fatalf("branding in the poll: %v", poll["branding"])
	}
	r := e.anonymous().mustGet(br["logo"].(string), 200)
	if r.Header.Get("Content-Type") != "image/png" || string(r.Body) != "\x89PNG\r\n\x1a\n" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("logo: %v %q", r.Header, r.Body)
	}
	plain := newEnv(t, memstore.New(), nil)
	if r := plain.anonymous().get("/branding/" + plain.Poll.ID + "/logo"); r.Status != 404 {
		t.Errorf("logo of a poll without one = %d", r.Status)
	}
	if b := plain.anonymous().mustGet("/api/v1/polls/"+plain.Poll.ID, 200).JSON(t); b["branding"] != nil {
		t.Errorf("a poll without branding shows %v", b["branding"])
	}
}
