package server_test

import (
	"context"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/redisstore"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

// TestErrorCodes shows every error code of docs/API.md, on every store, and that a refused vote
// changes nothing.
func TestErrorCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		store := newStore(t)
		type tc struct {
			name   string
			yaml   []string
			do     func(e *env) response
			status int
			code   string
		}
		votes := func(e *env) string { return "/api/v1/polls/" + e.Poll.ID + "/votes" }
		tests := []tc{
			{"not JSON", nil, func(e *env) response { return e.voter().do("POST", votes(e), []byte("choices=a")) }, 400, "invalid_request"},
			{"unknown field", nil, func(e *env) response {
				return e.voter().postJSON(votes(e), map[string]any{"choices": []string{"a"}, "colour": "red"})
			}, 400, "invalid_request"},
			{"wrong type", nil, func(e *env) response { return e.voter().postJSON(votes(e), map[string]any{"choices": "a"}) }, 400, "invalid_request"},
			{"two objects", nil, func(e *env) response { return e.voter().do("POST", votes(e), []byte(`{"choices":["a"]}{}`)) }, 400, "invalid_request"},
			{"no cookie", nil, func(e *env) response {
				return e.anonymous().postJSON(votes(e), map[string]any{"choices": []string{"a"}})
			}, 401, "voter_token_required"},
			{"forged cookie", nil, func(e *env) response {
				return e.anonymous().postJSON(votes(e), map[string]any{"choices": []string{"a"}}, "Cookie", "lv_voter=abc.def")
			}, 401, "voter_token_required"},
			{"no organiser token", nil, func(e *env) response {
				return e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/status", map[string]any{"status": "closed"})
			}, 401, "unauthorized"},
			{"wrong organiser token", nil, func(e *env) response {
				return e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/status", map[string]any{"status": "closed"}, "Authorization", "Bearer guess")
			}, 401, "unauthorized"},
			{"no proof of work", []string{"difficulty: 100"}, func(e *env) response {
				return e.voter().postJSON(votes(e), map[string]any{"choices": []string{"a"}})
			}, 403, "challenge_failed"},
			{"wrong proof of work", []string{"difficulty: 100"}, func(e *env) response {
				c := e.voter()
				pow := c.solve()
				pow["number"] = pow["number"].(int) + 1
				return c.postJSON(votes(e), map[string]any{"choices": []string{"a"}, "pow": pow})
			}, 403, "challenge_failed"},
			{"paused", []string{"status: paused"}, func(e *env) response { return e.voter().vote("a") }, 403, "voting_closed"},
			{"closed", []string{"status: closed"}, func(e *env) response { return e.voter().vote("a") }, 403, "voting_closed"},
			{"scheduled", []string{"opens_at: 2099-01-01T00:00:00Z"}, func(e *env) response { return e.voter().vote("a") }, 403, "voting_closed"},
			{"past closes_at", []string{"closes_at: 2001-01-01T00:00:00Z"}, func(e *env) response { return e.voter().vote("a") }, 403, "voting_closed"},
			{"challenge while closed", []string{"status: closed"}, func(e *env) response {
				return e.voter().get("/api/v1/polls/" + e.Poll.ID + "/challenge")
			}, 403, "voting_closed"},
			{"unknown poll", nil, func(e *env) response {
				return e.voter().postJSON("/api/v1/polls/nope/votes", map[string]any{"choices": []string{"a"}})
			}, 404, "poll_not_found"},
			{"unknown poll GET", nil, func(e *env) response { return e.anonymous().get("/api/v1/polls/nope/results") }, 404, "poll_not_found"},
			{"unknown receipt", nil, func(e *env) response { return e.anonymous().get("/api/v1/receipts/abcdef") }, 404, "receipt_not_found"},
			{"already voted", nil, func(e *env) response {
				c := e.voter()
				c.mustVote("a")
				return c.vote("b")
			}, 409, "already_voted"},
			{"reveal with a held ballot", nil, func(e *env) response {
				castHeld(t, e, "a")
				return e.admin("results", map[string]any{"results": "revealed"})
			}, 409, "unreviewed_ballots"},
			{"reveal step while hidden", nil, func(e *env) response { return e.admin("reveal", map[string]any{"withheld": 0}) }, 409, "not_revealed"},
			{"body too large", nil, func(e *env) response {
				return e.voter().do("POST", votes(e), []byte(`{"choices":["a"],"x":"`+strings.Repeat("x", 5000)+`"}`))
			}, 413, "body_too_large"},
			{"unknown candidate", nil, func(e *env) response { return e.voter().vote("z") }, 422, "invalid_choice"},
			{"no choice", nil, func(e *env) response { return e.voter().vote() }, 422, "invalid_choice"},
			{"too many", nil, func(e *env) response { return e.voter().vote("a", "b") }, 422, "invalid_choice"},
			{"twice the same", []string{"max_choices: 2"}, func(e *env) response { return e.voter().vote("a", "a") }, 422, "invalid_choice"},
			{"bad admin value", nil, func(e *env) response { return e.admin("status", map[string]any{"status": "scheduled"}) }, 400, "invalid_request"},
			{"bad difficulty", nil, func(e *env) response { return e.admin("difficulty", map[string]any{"difficulty": -5}) }, 400, "invalid_request"},
			{"bad turnout step", nil, func(e *env) response { return e.anonymous().get("/api/v1/polls/" + e.Poll.ID + "/turnout?step=7s") }, 400, "invalid_request"},
			{"held limit not a number", nil, func(e *env) response { return e.adminGet("/held?limit=abc") }, 400, "invalid_request"},
			{"held limit zero", nil, func(e *env) response { return e.adminGet("/held?limit=0") }, 400, "invalid_request"},
			{"held limit with trailing text", nil, func(e *env) response { return e.adminGet("/held?limit=10x") }, 400, "invalid_request"},
			{"held limit twice", nil, func(e *env) response { return e.adminGet("/held?limit=10&limit=abc") }, 400, "invalid_request"},
			{"export format", nil, func(e *env) response { return e.adminGet("/export?format=xml") }, 400, "invalid_request"},
			{"turnout step twice", nil, func(e *env) response {
				return e.anonymous().get("/api/v1/polls/" + e.Poll.ID + "/turnout?step=1m&step=7s")
			}, 400, "invalid_request"},
			{"untrust no subnet", nil, func(e *env) response {
				return e.anonymous().do("DELETE", "/api/v1/admin/polls/"+e.Poll.ID+"/trusted?subnet=abc", nil, "Authorization", "Bearer "+adminToken)
			}, 400, "invalid_request"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, store, tt.yaml)
				before := e.results("Authorization", "Bearer "+adminToken)
				r := tt.do(e)
				if r.Status != tt.status || r.Code(t) != tt.code {
					t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
				}
				after := e.results("Authorization", "Bearer "+adminToken)
				wantBallots := before["ballots"].(float64)
				wantHeld := before["held"].(float64)
				switch tt.code {
				case "already_voted":
					wantBallots++ // the first, accepted ballot
				case "unreviewed_ballots":
					wantBallots++ // the held ballot
					wantHeld++
				}
				if after["ballots"].(float64) != wantBallots || after["held"].(float64) != wantHeld || after["results"] != before["results"] {
					t.Errorf("refused request changed the counts: before %v, after %v", before, after)
				}
			})
		}

		t.Run("rate limited", func(t *testing.T) {
			e := newEnv(t, store, nil, withRateLimit(3))
			c := e.anonymous()
			for range 3 {
				c.mustGet("/api/v1/polls", 200) // no voter cookie: limited per IP
			}
			r := c.postJSON("/api/v1/polls/nope/votes", map[string]any{"choices": []string{"a"}})
			if r.Status != 429 || r.Code(t) != "rate_limited" || r.Header.Get("Retry-After") == "" {
				t.Fatalf("4th request = %d %s (Retry-After %q), want 429 rate_limited with Retry-After", r.Status, r.Body, r.Header.Get("Retry-After"))
			}
		})
	})
}

// TestUnavailable shows 503 unavailable: nothing is acknowledged while the store cannot record.
func TestUnavailable(t *testing.T) {
	t.Run("memory (injected fault)", func(t *testing.T) {
		mem := memstore.New()
		e := newEnv(t, failing{mem}, nil)
		c := e.voter()
		r := c.vote("a")
		if r.Status != 503 || r.Code(t) != "unavailable" {
			t.Fatalf("vote on a failing store = %d %s", r.Status, r.Body)
		}
		e.anonymous().mustGet("/readyz", 503)
		if snap, _ := mem.Snapshot(context.Background(), e.Poll, time.Now()); snap.Ballots != 0 {
			t.Errorf("ballots = %d after a refused vote", snap.Ballots)
		}
	})
	t.Run("redis killed and restarted", func(t *testing.T) {
		rs := votetest.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
		store, err := redisstore.Open(context.Background(), rs.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		e := newEnv(t, store, nil)
		c1, c2 := e.voter(), e.voter()
		c1.mustVote("a")
		e.anonymous().mustGet("/readyz", 200)
		rs.Kill()
		time.Sleep(300 * time.Millisecond) // let the cached state expire: the vote must reach the store
		if r := c2.vote("b"); r.Status != 503 || r.Code(t) != "unavailable" {
			t.Fatalf("vote with Redis down = %d %s", r.Status, r.Body)
		}
		e.anonymous().mustGet("/readyz", 503)
		rs.Start()
		e.anonymous().mustGet("/readyz", 200)
		c2.mustVote("b")
		res := e.results("Authorization", "Bearer "+adminToken)
		if res["ballots"].(float64) != 2 {
			t.Errorf("ballots = %v, want 2 (one before the outage, one after)", res["ballots"])
		}
	})
}

// TestErrorPrecedence shows that a vote with several faults is answered by the first in docs/API.md's
// order: 413, 404, 400, 401, 403 voting_closed, 403 challenge_failed, 422, 409.
func TestErrorPrecedence(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		store := newStore(t)
		e := newEnv(t, store, []string{"difficulty: 50"})
		votes := "/api/v1/polls/" + e.Poll.ID + "/votes"
		big := []byte(`{"choices":["z"],"x":"` + strings.Repeat("x", 5000) + `"}`)
		voted := e.voter()
		voted.mustVote("a")
		pow := voted.solve()
		check := func(name string, r response, code string) {
			t.Helper()
			if got := r.Code(t); got != code {
				t.Errorf("%s: %s, want %s", name, got, code)
			}
		}
		check("413 over 404", voted.do("POST", "/api/v1/polls/nope/votes", big), "body_too_large")
		check("404 over 400", voted.do("POST", "/api/v1/polls/nope/votes", []byte("{")), "poll_not_found")
		check("400 over 401", e.anonymous().do("POST", votes, []byte("{")), "invalid_request")
		check("422 over 409 (challenge good)", voted.postJSON(votes, map[string]any{"choices": []string{"z"}, "pow": pow}), "invalid_choice")
		check("the challenge was used by that attempt", voted.postJSON(votes, map[string]any{"choices": []string{"b"}, "pow": pow}), "challenge_failed")
		check("403 challenge over 422", voted.postJSON(votes, map[string]any{"choices": []string{"z"}}), "challenge_failed")
		check("409 last", voted.vote("b"), "already_voted")
		e.mustAdmin("status", map[string]any{"status": "closed"})
		check("401 over 403", e.anonymous().postJSON(votes, map[string]any{"choices": []string{"z"}}), "voter_token_required")
		check("403 closed over 403 challenge", voted.postJSON(votes, map[string]any{"choices": []string{"z"}}), "voting_closed")
	})
}
