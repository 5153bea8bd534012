package server_test

import (
	"fmt"
	"github.com/livevote/livevote/vote/memstore"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
)

func TestVoteReceiptAndMe(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), []string{"max_choices: 2", "difficulty: 200"})
		c := e.voter()
		if me := c.mustGet("/api/v1/polls/"+e.Poll.ID+"/me", 200).JSON(t); me["voted"] != false {
			t.Errorf("me before voting = %v", me)
		}
		r := c.vote("c", "a")
		if r.Status != 201 {
			t.Fatalf("vote = %d %s", r.Status, r.Body)
		}
		body := r.JSON(t)
		receipt, _ := body["receipt"].(string)
		if body["status"] != "accepted" || receipt == "" || fmt.Sprint(body["choices"]) != "[c a]" {
			t.Errorf("vote answer = %v", body)
		}
		me := c.mustGet("/api/v1/polls/"+e.Poll.ID+"/me", 200).JSON(t)
		if me["voted"] != true || me["receipt"] != receipt || fmt.Sprint(me["choices"]) != "[c a]" {
			t.Errorf("me after voting = %v", me)
		}
		rec := e.anonymous().mustGet("/api/v1/receipts/"+receipt, 200).JSON(t)
		if rec["poll"] != e.Poll.ID || rec["counted"] != true {
			t.Errorf("receipt = %v", rec)
		}
		if _, err := time.Parse(time.RFC3339, rec["recorded_at"].(string)); err != nil {
			t.Errorf("recorded_at: %v", err)
		}
		res := e.results("Authorization", "Bearer "+adminToken)
		tally := res["tally"].(map[string]any)
		if res["ballots"] != 1.0 || tally["a"] != 1.0 || tally["b"] != 0.0 || tally["c"] != 1.0 || res["held"] != 0.0 {
			t.Errorf("organiser results = %v", res)
		}
	})
}

func TestVoterCookie(t *testing.T) {
	e := newEnv(t, memstore.New(), nil)
	r := e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID, 200)
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"lv_voter=", "HttpOnly", "SameSite=Lax", "path=/"} {
		if !strings.Contains(strings.ToLower(cookie), strings.ToLower(want)) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, want)
		}
	}
	c := e.voter()
	if r := c.mustGet("/api/v1/polls/"+e.Poll.ID, 200); r.Header.Get("Set-Cookie") != "" {
		t.Errorf("a voter with a valid cookie got a new one: %s", r.Header.Get("Set-Cookie"))
	}
	// A POST never mints a voter.
	anon := e.anonymous()
	if r := anon.postJSON("/api/v1/polls/"+e.Poll.ID+"/votes", map[string]any{"choices": []string{"a"}}); r.Header.Get("Set-Cookie") != "" {
		t.Errorf("a refused POST set a cookie: %s", r.Header.Get("Set-Cookie"))
	}
	// Another deployment's cookie is not valid here.
	other := newEnv(t, memstore.New(), nil, func(c *server.Config) { c.Secret = []byte("another secret") })
	r = other.anonymous().mustGet("/api/v1/polls/"+other.Poll.ID, 200)
	foreign, _, _ := strings.Cut(r.Header.Get("Set-Cookie"), ";")
	if r := e.anonymous().postJSON("/api/v1/polls/"+e.Poll.ID+"/votes", map[string]any{"choices": []string{"a"}}, "Cookie", foreign); r.Code(t) != "voter_token_required" {
		t.Errorf("vote with another deployment's cookie = %s", r.Body)
	}
}

func TestChallenge(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		store := newStore(t)
		e := newEnv(t, store, []string{"difficulty: 300"})
		votes := "/api/v1/polls/" + e.Poll.ID + "/votes"
		ch := e.voter().mustGet("/api/v1/polls/"+e.Poll.ID+"/challenge", 200).JSON(t)
		if ch["algorithm"] != "SHA-256" || ch["max_number"] != 300.0 || ch["salt"] == "" || ch["signature"] == "" || len(ch["challenge"].(string)) != 64 {
			t.Errorf("challenge = %v", ch)
		}
		if r := e.anonymous().get("/api/v1/polls/" + e.Poll.ID + "/challenge"); r.Status != 401 || r.Code(t) != "voter_token_required" {
			t.Errorf("challenge without a voter = %d %s", r.Status, r.Body)
		}

		t.Run("replayed for a second ballot", func(t *testing.T) {
			c := e.voter()
			pow := c.solve()
			if r := c.postJSON(votes, map[string]any{"choices": []string{"a"}, "pow": pow}); r.Status != 201 {
				t.Fatalf("first use = %d %s", r.Status, r.Body)
			}
			// Same voter and a fresh voter cannot reuse it.
			if r := c.postJSON(votes, map[string]any{"choices": []string{"a"}, "pow": pow}); r.Code(t) != "challenge_failed" {
				t.Errorf("replay by the same voter = %s", r.Body)
			}
		})
		t.Run("bound to the voter", func(t *testing.T) {
			pow := e.voter().solve()
			if r := e.voter().postJSON(votes, map[string]any{"choices": []string{"a"}, "pow": pow}); r.Code(t) != "challenge_failed" {
				t.Errorf("another voter's challenge = %s", r.Body)
			}
		})
		t.Run("several unexpired challenges, each good once", func(t *testing.T) {
			c := e.voter()
			p1, p2 := c.solve(), c.solve()
			if r := c.postJSON(votes, map[string]any{"choices": []string{"q"}, "pow": p1}); r.Code(t) != "invalid_choice" {
				t.Fatalf("first attempt = %s", r.Body)
			}
			if r := c.postJSON(votes, map[string]any{"choices": []string{"a"}, "pow": p2}); r.Status != 201 {
				t.Errorf("second challenge = %d %s", r.Status, r.Body)
			}
		})
		t.Run("expires", func(t *testing.T) {
			c := e.voter()
			pow := c.solve()
			e.Clock.Set(time.Now().Add(11 * time.Minute))
			defer e.Clock.Set(time.Now())
			if r := c.postJSON(votes, map[string]any{"choices": []string{"a"}, "pow": pow}); r.Code(t) != "challenge_failed" {
				t.Errorf("expired challenge = %s", r.Body)
			}
		})
		t.Run("tampered difficulty", func(t *testing.T) {
			c := e.voter()
			pow := c.solve()
			pow["salt"] = strings.Replace(pow["salt"].(string), "max=300", "max=3", 1)
			if r := c.postJSON(votes, map[string]any{"choices": []string{"a"}, "pow": pow}); r.Code(t) != "challenge_failed" {
				t.Errorf("tampered salt = %s", r.Body)
			}
		})
		t.Run("difficulty raised live", func(t *testing.T) {
			c := e.voter()
			pow := c.solve()
			e.mustAdmin("difficulty", map[string]any{"difficulty": 400})
			defer e.mustAdmin("difficulty", map[string]any{"difficulty": 300})
			if r := c.postJSON(votes, map[string]any{"choices": []string{"a"}, "pow": pow}); r.Code(t) != "challenge_failed" {
				t.Errorf("a weaker challenge after a raise = %s", r.Body)
			}
			if ch := c.mustGet("/api/v1/polls/"+e.Poll.ID+"/challenge", 200).JSON(t); ch["max_number"] != 400.0 {
				t.Errorf("new challenge max_number = %v, want 400", ch["max_number"])
			}
			c.mustVote("b")
		})
		t.Run("difficulty 0", func(t *testing.T) {
			e.mustAdmin("difficulty", map[string]any{"difficulty": 0})
			defer e.mustAdmin("difficulty", map[string]any{"difficulty": 300})
			c := e.voter()
			if ch := c.mustGet("/api/v1/polls/"+e.Poll.ID+"/challenge", 200).JSON(t); fmt.Sprint(ch) != "map[algorithm:none]" {
				t.Errorf("challenge at difficulty 0 = %v", ch)
			}
			if r := c.postJSON(votes, map[string]any{"choices": []string{"a"}}); r.Status != 201 {
				t.Errorf("vote without pow at difficulty 0 = %d %s", r.Status, r.Body)
			}
		})
	})
}

func TestDailyPoll(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), []string{"limit: daily", "time_zone: Asia/Shanghai"})
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		e.Clock.Set(time.Date(2023, 11, 20, 23, 50, 0, 0, shanghai))
		c := e.voter()
		c.mustVote("a")
		if r := c.vote("b"); r.Code(t) != "already_voted" {
			t.Fatalf("second vote the same day = %s", r.Body)
		}
		e.Clock.Set(time.Date(2023, 11, 21, 0, 5, 0, 0, shanghai))
		if me := c.mustGet("/api/v1/polls/"+e.Poll.ID+"/me", 200).JSON(t); me["voted"] != false {
			t.Errorf("me on a new day = %v", me)
		}
		c.mustVote("b")
		if r := c.vote("c"); r.Code(t) != "already_voted" {
			t.Errorf("second vote on day 2 = %s", r.Body)
		}
		if res := e.results("Authorization", "Bearer "+adminToken); res["ballots"] != 2.0 {
			t.Errorf("ballots = %v, want 2", res["ballots"])
		}
	})
}

// TestHiddenResults shows that no public answer carries the tally while results are hidden, and
// that live and revealed results are public.
func TestHiddenResults(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		e.voter().mustVote("b")
		public := []string{"/api/v1/polls", "/api/v1/polls/" + e.Poll.ID, "/api/v1/polls/" + e.Poll.ID + "/results",
			"/api/v1/polls/" + e.Poll.ID + "/turnout", "/api/v1/polls/" + e.Poll.ID + "/me"}
		for _, path := range public {
			for _, header := range [][]string{nil, {"Authorization", "Bearer wrong"}} {
				r := e.voter().mustGet(path, 200, header...)
				if contains(r.Body, "tally") || contains(r.Body, `"held"`) {
					t.Errorf("public %s while hidden: %s", path, r.Body)
				}
			}
		}
		if res := e.results("Authorization", "Bearer "+adminToken); res["tally"].(map[string]any)["b"] != 1.0 {
			t.Errorf("organiser results while hidden = %v", res)
		}
		for _, v := range []string{"live", "revealed"} {
			e.mustAdmin("results", map[string]any{"results": v})
			res := e.results()
			if res["results"] != v || res["tally"].(map[string]any)["b"] != 1.0 {
				t.Errorf("public results while %s = %v", v, res)
			}
			if _, ok := res["held"]; ok {
				t.Errorf("public results carry held: %v", res)
			}
		}
	})
}

func TestAdminControls(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		r := e.admin("status", map[string]any{"status": "paused"})
		if r.Status != 200 {
			t.Fatalf("pause = %d %s", r.Status, r.Body)
		}
		if got := r.JSON(t); got["status"] != "paused" || got["results"] != "hidden" || got["id"] != e.Poll.ID {
			t.Errorf("pause answered %v", got)
		}
		if r := e.voter().vote("a"); r.Code(t) != "voting_closed" {
			t.Errorf("vote while paused = %s", r.Body)
		}
		e.mustAdmin("status", map[string]any{"status": "open"})
		e.voter().mustVote("a")
		e.mustAdmin("status", map[string]any{"status": "closed"})
		polls := e.anonymous().mustGet("/api/v1/polls", 200).JSON(t)["polls"].([]any)
		if p := polls[0].(map[string]any); p["id"] != e.Poll.ID || p["status"] != "closed" || p["results"] != "hidden" {
			t.Errorf("polls = %v", polls)
		}
		if r := e.admin("results", map[string]any{"results": "public"}); r.Status != 400 {
			t.Errorf("bad visibility = %d", r.Status)
		}
	})
}

func TestTurnout(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		t0 := time.Date(2023, 11, 20, 10, 0, 30, 0, time.UTC)
		for _, d := range []time.Duration{0, 1 * time.Minute, 3 * time.Minute, 3*time.Minute + 10*time.Second} {
			e.Clock.Set(t0.Add(d))
			e.voter().mustVote("a")
		}
		e.Clock.Set(t0.Add(5 * time.Minute))
		got := e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID+"/turnout?step=1m", 200).JSON(t)
		want := "map[series:[[2023-11-20T10:00:00Z 1] [2023-11-20T10:01:00Z 1] [2023-11-20T10:02:00Z 0] [2023-11-20T10:03:00Z 2] [2023-11-20T10:04:00Z 0] [2023-11-20T10:05:00Z 0]] step:1m]"
		if fmt.Sprint(got) != want {
			t.Errorf("turnout 1m =\n%v\nwant\n%v", got, want)
		}
		got = e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID+"/turnout?step=1h", 200).JSON(t)
		if fmt.Sprint(got) != "map[series:[[2023-11-20T10:00:00Z 4]] step:1h]" {
			t.Errorf("turnout 1h = %v", got)
		}
	})
}

func TestHealth(t *testing.T) {
	e := newEnv(t, memstore.New(), nil)
	if r := e.anonymous().mustGet("/healthz", 200); string(r.Body) != `{"status":"ok"}` {
		t.Errorf("healthz = %s", r.Body)
	}
	e.anonymous().mustGet("/readyz", 200)
	if r := e.anonymous().get("/api/v1/nothing"); r.Status != 404 || r.Code(t) != "not_found" {
		t.Errorf("unknown API path = %d %s", r.Status, r.Body)
	}
}

// TestSecureCookieBehindTrustedProxy: the voter cookie is Secure when a trusted proxy says the
// request came over TLS, and not when anyone else says so.
func TestSecureCookieBehindTrustedProxy(t *testing.T) {
	for _, tt := range []struct {
		name    string
		proxies []string
		secure  bool
	}{
		{"untrusted peer", nil, false},
		{"trusted proxy", []string{"127.0.0.1"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.New(), nil, func(c *server.Config) { c.TrustedProxies = tt.proxies })
			r := e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID, 200, "X-Forwarded-Proto", "https")
			if got := strings.Contains(strings.ToLower(r.Header.Get("Set-Cookie")), "secure"); got != tt.secure {
				t.Errorf("Set-Cookie %q: secure %v, want %v", r.Header.Get("Set-Cookie"), got, tt.secure)
			}
		})
	}
}
