package server_test

import (
	"context"
	"fmt"
	"github.com/livevote/livevote/vote/memstore"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/monitoring"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const phoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"

// withProxy makes 127.0.0.1 a trusted proxy, so that a test client can say where it is with
// X-Forwarded-For.
func withProxy() option {
	return func(c *server.Config) { c.TrustedProxies = []string{"127.0.0.1"} }
}

// withMetrics serves the server's metrics on a test listener and returns its /metrics URL.
func withMetrics(t *testing.T, url *string) option {
	return func(c *server.Config) {
		reg := prometheus.NewRegistry()
		c.Observer = monitoring.New(reg, monitoring.Options{Polls: c.Polls, Results: server.VoteResults()})
		srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		t.Cleanup(srv.Close)
		*url = srv.URL
	}
}

func withSampling(d time.Duration) option { return func(c *server.Config) { c.SampleEvery = d } }

// agent is a client that sends the same headers with every request: a phone's browser, or a
// script.
type agent struct {
	*client
	header []string
}

// phone is a person's phone browser at the address ip (X-Forwarded-For; "" for none).
func (e *env) phone(ip string) *agent {
	a := &agent{client: e.anonymous(), header: []string{"User-Agent", phoneUA, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"}}
	if ip != "" {
		a.header = append(a.header, "X-Forwarded-For", ip)
	}
	return a
}

// script is an automated client at ip: a tool's user agent, no Accept-Language, no cookies kept
// from one vote to the next.
func (e *env) script(ip string) *agent {
	return &agent{client: e.anonymous(), header: []string{"User-Agent", "python-requests/2.31.0", "X-Forwarded-For", ip}}
}

func (a *agent) get(path string) response { return a.client.get(path, a.header...) }

// open gets the ballot (and a voter cookie) and a challenge, solved (nil at difficulty 0).
func (a *agent) open() map[string]any {
	e := a.e
	if r := a.get("/api/v1/polls/" + e.Poll.ID); r.Status != 200 {
		e.t.Fatalf("ballot: %d %s", r.Status, r.Body)
	}
	r := a.get("/api/v1/polls/" + e.Poll.ID + "/challenge")
	if r.Status != 200 {
		e.t.Fatalf("challenge: %d %s", r.Status, r.Body)
	}
	return solveChallenge(e.t, r.JSON(e.t))
}

// send posts a vote with body fields beyond the choices.
func (a *agent) send(pow map[string]any, extra map[string]any, choices ...string) response {
	body := map[string]any{"choices": choices}
	if pow != nil {
		body["pow"] = pow
	}
	for k, v := range extra {
		body[k] = v
	}
	return a.postJSON("/api/v1/polls/"+a.e.Poll.ID+"/votes", body, a.header...)
}

// ownLine is the address of the i-th of voters each on a line of their own: a /16 of its own too,
// so that they share no source, not even a group (two phones alike in one /16 are one group).
func ownLine(i int) string { return fmt.Sprintf("198.%d.0.7", 100+i) }

// page is what the ballot page sends with a vote after a person took 8 s.
var page = map[string]any{"website": "", "client": map[string]any{"webdriver": false, "elapsed_ms": 8000}}

func (e *env) signals() map[string]any {
	e.t.Helper()
	r := e.adminGet("/signals")
	if r.Status != 200 {
		e.t.Fatalf("signals = %d %s", r.Status, r.Body)
	}
	return r.JSON(e.t)
}

// metric returns a series' value from a scrape of url, or -1.
func metric(t *testing.T, url, series string) float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return -1
}

// TestVenue: 500 phones behind one address (the ceremony Wi-Fi) vote within a minute, through the
// default rate limit and the default fraud policy, beside 60 voters on their own lines. None is
// refused. Untrusted, the venue's ballots after the first are pending (its address is shared) and
// the server releases them by itself once the choice test finds the venue votes like the rest of
// the poll: released by the system in the log, which the audit replays. Trusted, all are counted
// at once.
func TestVenue(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		for _, trusted := range []bool{false, true} {
			t.Run(fmt.Sprintf("trusted=%v", trusted), func(t *testing.T) {
				e := newEnv(t, newStore(t), []string{"fraud: {}", "difficulty: 100"}, withProxy(), withRateLimit(600))
				const venue = "203.0.113.77"
				if trusted {
					e.mustAdmin("trusted", map[string]any{"subnet": "203.0.113.0/24"})
				}
				for i := range 60 { // the rest of the poll, each on a line of its own
					p := e.phone(ownLine(i))
					pow := p.open()
					if r := p.send(pow, page, string(rune('a'+i%3))); r.Status != 201 {
						t.Fatalf("vote from a line of its own = %d %s", r.Status, r.Body)
					}
				}
				phones := make([]*agent, 500)
				pows := make([]map[string]any, len(phones))
				var wg sync.WaitGroup
				sem := make(chan struct{}, 16)
				for i := range phones {
					sem <- struct{}{}
					wg.Go(func() {
						defer func() { <-sem }()
						phones[i] = e.phone(venue)
						pows[i] = phones[i].open()
					})
				}
				wg.Wait()
				e.Clock.Set(e.Clock.Now().Add(8 * time.Second)) // people read the ballot
				statuses := map[int]int{}
				var mu sync.Mutex
				for i := range phones {
					sem <- struct{}{}
					wg.Go(func() {
						defer func() { <-sem }()
						r := phones[i].send(pows[i], page, string(rune('a'+i%3)))
						phones[i].get("/api/v1/polls/" + e.Poll.ID + "/me")
						mu.Lock()
						statuses[r.Status]++
						mu.Unlock()
					})
				}
				wg.Wait()
				if statuses[201] != 500 {
					t.Fatalf("answers to 500 phones behind one address: %v, want 500 x 201", statuses)
				}
				res := e.results("Authorization", "Bearer "+adminToken)
				counted, held := res["counted"].(float64), res["held"].(float64)
				if counted+held != 560 || res["ballots"] != 560.0 {
					t.Errorf("counted %v + held %v, ballots %v: want 560 recorded and public", counted, held, res["ballots"])
				}
				if trusted && held != 0 {
					t.Errorf("trusted venue: %v held", held)
				}
				if trusted {
					return
				}
				// The settling runs every 2 s on every instance: wait for it (never more than
				// a few passes), then the whole venue counts.
				deadline := time.Now().Add(20 * time.Second)
				for held > 0 && time.Now().Before(deadline) {
					time.Sleep(200 * time.Millisecond)
					res = e.results("Authorization", "Bearer "+adminToken)
					held = res["held"].(float64)
				}
				if held != 0 || res["counted"] != 560.0 || fmt.Sprint(res["tally"]) != "map[a:187 b:187 c:186]" {
					t.Fatalf("untrusted venue after settling: %v; want all 560 counted", res)
				}
				audit := e.adminGet("/audit").JSON(t)
				if audit["consistent"] != true || audit["log"].(map[string]any)["ballots"] != 560.0 {
					t.Errorf("audit after the automatic release = %v", audit)
				}
				released := 0
				for after := ""; ; {
					page, err := e.Store.Log(context.Background(), e.Poll, after, 1000)
					if err != nil || len(page) == 0 {
						break
					}
					for _, le := range page {
						if le.State == vote.BallotReleased && le.By == vote.ReleasedBy {
							released++
						}
					}
					after = page[len(page)-1].ID
				}
				if released != 499 {
					t.Errorf("%d releases by the system in the log, want 499 (the venue's first ballot counted at once)", released)
				}
			})
		}
	})
}

// TestSkewedSource: careful bots (a phone's headers, a language, a person's reading time), every
// ballot for one candidate, beside 60 voters on their own lines: on five addresses of one /24, or
// spread one ballot per /24 over 25 /24s of one /16. Their ballots after the first are pending
// (the second of their address or /24, or of their group: the /16 with the same headers), and the
// server's settling finds the subnet, or the group, skewed once it has 20 ballots: they stay
// held, grouped by source for the organiser (the subnet, or the group across its subnets),
// counted as the skewed signal in the overview and the metrics. The public count includes them
// all.
func TestSkewedSource(t *testing.T) {
	for _, farm := range []struct {
		name         string
		addr         func(i int) string
		by           string
		ips, subnets float64
	}{
		{"one /24", func(i int) string { return fmt.Sprintf("203.0.113.%d", 10+i%5) }, "subnet", 5, 1},
		{"spread over a /16", func(i int) string { return fmt.Sprintf("203.0.%d.9", i) }, "group", 24, 24},
	} {
		t.Run(farm.name, func(t *testing.T) { testSkewedSource(t, farm.addr, farm.by, farm.ips, farm.subnets) })
	}
}

func testSkewedSource(t *testing.T, farm func(i int) string, by string, ips, subnets float64) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		var metrics string
		e := newEnv(t, newStore(t), []string{"fraud: {}", "difficulty: 0"}, withProxy(), withMetrics(t, &metrics))
		cast := func(ip, choice string) {
			t.Helper()
			p := e.phone(ip)
			pow := p.open()
			e.Clock.Set(e.Clock.Now().Add(100 * time.Millisecond))
			if r := p.send(pow, page, choice); r.Status != 201 {
				t.Fatalf("vote from %s = %d %s", ip, r.Status, r.Body)
			}
		}
		for i := range 60 {
			cast(ownLine(i), string(rune('a'+i%3)))
		}
		for i := range 25 {
			cast(farm(i), "a")
		}
		var groups []any
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			groups = e.adminGet("/held/groups").JSON(t)["groups"].([]any)
			if len(groups) == 1 && groups[0].(map[string]any)["signal"] == "skewed" && groups[0].(map[string]any)["pending"] == 0.0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(groups) != 1 {
			t.Fatalf("groups = %v, want the farm's", groups)
		}
		g := groups[0].(map[string]any)
		if g["signal"] != "skewed" || g["count"] != 24.0 || g["ips"] != ips || g["subnets"] != subnets || g["by"] != by ||
			g["pending"] != 0.0 || g["judgement"] != "skewed" || fmt.Sprint(g["choices"]) != "map[a:24]" || strings.Contains(fmt.Sprint(g), "203.0.") {
			t.Errorf("the farm's group = %v", g)
		}
		res := e.results("Authorization", "Bearer "+adminToken)
		if res["ballots"] != 85.0 || res["counted"] != 61.0 || res["held"] != 24.0 || fmt.Sprint(res["tally"]) != "map[a:21 b:20 c:20]" {
			t.Errorf("results = %v: want the farm's first ballot counted, the rest held, all 85 public", res)
		}
		if n := e.signals()["signals"].(map[string]any)["skewed"]; n != 24.0 {
			t.Errorf("skewed signal counted %v times, want 24", n)
		}
		for series, want := range map[string]float64{
			`livevote_fraud_skewed_total{poll="` + e.Poll.ID + `"}`: 24,
			`livevote_fraud_signals_total{signal="skewed"}`:         24,
		} {
			if got := metric(t, metrics, series); got != want {
				t.Errorf("%s = %v, want %v", series, got, want)
			}
		}
	})
}

// TestScriptedAttacker: a script on three addresses that keeps no cookies, says it is
// python-requests, sends no Accept-Language and submits as soon as it has a challenge, next to
// honest phones. None of the script's ballots is in the public tally: each is refused or held;
// its signals show in the signals overview and in the metrics.
func TestScriptedAttacker(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		var metrics string
		e := newEnv(t, newStore(t), []string{"fraud: {}", "difficulty: 100", "results: live"},
			withProxy(), withRateLimit(60), withMetrics(t, &metrics))
		ips := []string{"198.51.100.10", "198.51.100.11", "198.51.100.12"}
		e.Clock.Set(time.Now().Truncate(time.Minute).Add(time.Second)) // the whole test in one minute

		var honest []string
		for i := range 10 {
			p := e.phone(ownLine(i))
			pow := p.open()
			e.Clock.Set(e.Clock.Now().Add(5 * time.Second))
			r := p.send(pow, page, "b")
			if r.Status != 201 {
				t.Fatalf("honest vote = %d %s", r.Status, r.Body)
			}
			honest = append(honest, r.JSON(t)["receipt"].(string))
		}

		statuses := map[int]int{}
		var accepted []string
		for i := range 120 {
			s := e.script(ips[i%len(ips)])
			if r := s.get("/api/v1/polls/" + e.Poll.ID); r.Status != 200 {
				statuses[r.Status]++
				continue
			}
			var pow map[string]any
			if r := s.get("/api/v1/polls/" + e.Poll.ID + "/challenge"); r.Status == 200 {
				ch := r.JSON(t)
				pow = solveChallenge(t, ch)
			}
			extra := map[string]any{}
			if i%10 == 9 {
				extra["website"] = "http://cheap-votes.example" // a form-filler
			}
			r := s.send(pow, extra, "a")
			statuses[r.Status]++
			if r.Status == 201 {
				accepted = append(accepted, r.JSON(t)["receipt"].(string))
			}
		}
		t.Logf("the script's 120 attempts were answered %v; %d honest ballots counted", statuses, len(honest))
		if statuses[201] == 0 || statuses[403] == 0 {
			t.Errorf("attacker's answers %v: want some 201 (held, answered as accepted) and some 403 (honeypot)", statuses)
		}
		for code := range statuses {
			if code != 201 && code != 403 && code != 429 {
				t.Errorf("attacker got %d", code)
			}
		}

		// The public tally has the honest ballots only.
		res := e.results()
		if fmt.Sprint(res["tally"]) != "map[a:0 b:10 c:0]" || res["ballots"] != float64(10+len(accepted)) {
			t.Errorf("public results %v, want the 10 honest ballots only in the tally, and every ballot received counted in ballots", res)
		}
		// Every accepted attacker ballot is held, answered and receipted as counted.
		held := e.adminGet("/held?limit=1000").JSON(t)
		inHeld := map[string]bool{}
		for _, h := range held["held"].([]any) {
			inHeld[h.(map[string]any)["receipt"].(string)] = true
		}
		for i, id := range accepted {
			if !inHeld[id] {
				t.Errorf("attacker's receipt %s is not held", id)
			}
			if i >= 5 {
				continue // (the test's own requests are rate limited too)
			}
			if rec := e.anonymous().mustGet("/api/v1/receipts/"+id, 200).JSON(t); rec["counted"] != true {
				t.Errorf("public receipt of a held ballot = %v", rec)
			}
		}
		for _, id := range honest {
			if inHeld[id] {
				t.Errorf("honest receipt %s held", id)
			}
		}

		sig := e.signals()
		signals := sig["signals"].(map[string]any)
		for _, name := range []string{"tool_agent", "no_language", "too_fast", "honeypot"} {
			if signals[name].(float64) == 0 {
				t.Errorf("signal %s not counted: %v", name, signals)
			}
		}
		if signals["webdriver"].(float64) != 0 {
			t.Errorf("webdriver counted: %v", signals)
		}
		results := sig["results"].(map[string]any)
		if results["held"] != float64(len(accepted)) || results["accepted"] != 10.0 {
			t.Errorf("results %v: want %d held and 10 accepted", results, len(accepted))
		}
		if refused := sig["refused"].(map[string]any); refused["challenge_failed"] != float64(statuses[403]) {
			t.Errorf("refused %v, want %d challenge_failed", refused, statuses[403])
		}
		if sig["held"] != float64(len(accepted)) {
			t.Errorf("held = %v, want %d", sig["held"], len(accepted))
		}
		minute := sig["sources"].(map[string]any)["minute"].(map[string]any)
		ipsSeen := minute["ips"].([]any)
		if minute["ballots"] != float64(10+len(accepted)) || len(ipsSeen) < 3 {
			t.Errorf("sources of the minute: %v", minute)
		}
		if top := ipsSeen[0].(map[string]any); top["ballots"].(float64) < float64(len(accepted)/3) || strings.Contains(fmt.Sprint(sig), "198.51.100") {
			t.Errorf("top IP %v (hashes only, the script's first)", top)
		}
		if v := sig["velocity"].([]any); len(v) != 3 {
			t.Errorf("velocity = %v", v)
		}

		for series, want := range map[string]float64{
			`livevote_fraud_signals_total{signal="tool_agent"}`:                        signals["tool_agent"].(float64),
			`livevote_fraud_signals_total{signal="honeypot"}`:                          signals["honeypot"].(float64),
			`livevote_votes_total{poll="` + e.Poll.ID + `",result="held"}`:             float64(len(accepted)),
			`livevote_votes_total{poll="` + e.Poll.ID + `",result="challenge_failed"}`: float64(statuses[403]),
			`livevote_votes_total{poll="` + e.Poll.ID + `",result="accepted"}`:         10,
		} {
			if got := metric(t, metrics, series); got != want {
				t.Errorf("%s = %v, want %v", series, got, want)
			}
		}
	})
}

// TestVoteSignals: each signal of the vote body and headers, end to end, with its answer.
func TestVoteSignals(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		store := newStore(t)
		for _, tt := range []struct {
			name   string
			agent  func(e *env) *agent
			wait   time.Duration
			extra  map[string]any
			status int
			held   bool
			signal string
		}{
			{"a person", func(e *env) *agent { return e.phone("") }, 5 * time.Second, page, 201, false, ""},
			{"honeypot", func(e *env) *agent { return e.phone("") }, 5 * time.Second, map[string]any{"website": "x"}, 403, false, "honeypot"},
			{"webdriver", func(e *env) *agent { return e.phone("") }, 5 * time.Second, map[string]any{"client": map[string]any{"webdriver": true}}, 201, true, "webdriver"},
			{"tool", func(e *env) *agent {
				a := e.phone("")
				a.header[1] = "curl/8.5.0"
				return a
			}, 5 * time.Second, nil, 201, true, "tool_agent"},
			{"fast, nothing else", func(e *env) *agent { return e.phone("") }, 0, nil, 201, false, "too_fast"},
			{"fast and no Accept-Language", func(e *env) *agent {
				a := e.phone("")
				a.header[3] = ""
				return a
			}, 0, nil, 201, true, "no_language"},
			{"the page says it was fast", func(e *env) *agent { return e.phone("") }, 5 * time.Second, map[string]any{"client": map[string]any{"elapsed_ms": 300}}, 201, false, "too_fast"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, store, []string{"fraud: {}", "difficulty: 50"})
				a := tt.agent(e)
				pow := a.open()
				e.Clock.Set(e.Clock.Now().Add(tt.wait))
				r := a.send(pow, tt.extra, "a")
				if r.Status != tt.status {
					t.Fatalf("vote = %d %s, want %d", r.Status, r.Body, tt.status)
				}
				res := e.results("Authorization", "Bearer "+adminToken)
				if held := res["held"] == 1.0; tt.status == 201 && (held != tt.held || (res["counted"] == 1.0) == tt.held) {
					t.Errorf("held %v, want %v (results %v)", held, tt.held, res)
				}
				signals := e.signals()["signals"].(map[string]any)
				for name, n := range signals {
					if want := name == tt.signal; (n.(float64) > 0) != want && !(name == "too_fast" && tt.signal == "no_language") {
						t.Errorf("signal %s counted %v", name, n)
					}
				}
				if tt.status == 403 {
					if again := a.send(pow, nil, "a"); again.Code(t) != "challenge_failed" {
						t.Errorf("the challenge of a refused attempt was not used up: %d %s", again.Status, again.Body)
					}
				}
			})
		}
	})
}

// TestVoteBody: the page's optional fields are part of the strict body.
func TestVoteBody(t *testing.T) {
	e := newEnv(t, memstore.New(), nil)
	votes := "/api/v1/polls/" + e.Poll.ID + "/votes"
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"choices":["a"],"website":"","client":{"webdriver":false,"elapsed_ms":4200}}`, 201},
		{`{"choices":["a"],"client":{"webdriver":false,"colour":1}}`, 400},
		{`{"choices":["a"],"client":{"webdriver":"no"}}`, 400},
		{`{"choices":["a"],"website":7}`, 400},
		{`{"choices":["a"],"client":null}`, 201},
	} {
		if r := e.voter().do("POST", votes, []byte(tt.body)); r.Status != tt.status {
			t.Errorf("%s = %d %s, want %d", tt.body, r.Status, r.Body, tt.status)
		}
	}
}

// TestHardCap: a poll with a hard cap refuses the IP's ballot beyond it with 429 and
// Retry-After; a trusted subnet has none.
func TestHardCap(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), []string{"fraud: {hold: false, ip_hard_cap: 3}"}, withProxy())
		for i := range 3 {
			if r := e.phone("198.51.100.1").send(nil, page, "a"); r.Status != 401 {
				t.Fatalf("vote without a cookie: %d", r.Status) // (a phone opens the ballot first)
			}
			p := e.phone("198.51.100.1")
			p.open()
			if r := p.send(nil, page, "a"); r.Status != 201 {
				t.Fatalf("vote %d = %d %s", i+1, r.Status, r.Body)
			}
		}
		p := e.phone("198.51.100.2") // same /24: the cap is per IP
		p.open()
		if r := p.send(nil, page, "a"); r.Status != 201 {
			t.Fatalf("another IP = %d %s", r.Status, r.Body)
		}
		p = e.phone("198.51.100.1")
		p.open()
		r := p.send(nil, page, "a")
		if r.Status != 429 || r.Code(t) != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("4th vote of an IP with hard cap 3 = %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		if n := e.signals()["signals"].(map[string]any)["ip_cap"]; n != 1.0 {
			t.Errorf("ip_cap counted %v, want 1", n)
		}
		e.mustAdmin("trusted", map[string]any{"subnet": "198.51.100.1"})
		if r := p.send(nil, page, "a"); r.Status != 201 {
			t.Errorf("vote of a trusted address over the cap = %d %s", r.Status, r.Body)
		}
		if res := e.results("Authorization", "Bearer "+adminToken); res["ballots"] != 5.0 || res["held"] != 0.0 {
			t.Errorf("results %v, want 5 counted", res)
		}
	})
}

// TestTrustedSubnets: the organiser lists, adds and removes trusted subnets; every instance on
// the store sees them.
func TestTrustedSubnets(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		store := newStore(t)
		e := newEnv(t, store, nil)
		other := newEnv(t, store, nil, withPoll(e.Poll), withSampling(20*time.Millisecond))
		path := "/api/v1/admin/polls/" + e.Poll.ID + "/trusted"
		auth := []string{"Authorization", "Bearer " + adminToken}
		for _, tt := range []struct {
			subnet string
			status int
			list   string
		}{
			{"203.0.113.7/24", 200, "[203.0.113.0/24]"},
			{"198.51.100.9", 200, "[198.51.100.9/32 203.0.113.0/24]"},
			{"2001:db8:5::/48", 200, "[198.51.100.9/32 2001:db8:5::/48 203.0.113.0/24]"},
			{"0.0.0.0/0", 400, ""},
			{"10.0.0.0/7", 400, ""},
			{"::/8", 400, ""},
			{"not an address", 400, ""},
		} {
			r := e.anonymous().postJSON(path, map[string]any{"subnet": tt.subnet}, auth...)
			if r.Status != tt.status || tt.status == 200 && fmt.Sprint(r.JSON(t)["trusted"]) != tt.list {
				t.Errorf("trust %s = %d %s, want %d %s", tt.subnet, r.Status, r.Body, tt.status, tt.list)
			}
		}
		if r := e.anonymous().do("DELETE", path+"?subnet=198.51.100.9", nil, auth...); r.Status != 200 || fmt.Sprint(r.JSON(t)["trusted"]) != "[2001:db8:5::/48 203.0.113.0/24]" {
			t.Errorf("untrust = %d %s", r.Status, r.Body)
		}
		if r := e.anonymous().get(path); r.Status != 401 {
			t.Errorf("list without the token = %d", r.Status)
		}
		if r := other.anonymous().get(path, auth...); fmt.Sprint(r.JSON(t)["trusted"]) != "[2001:db8:5::/48 203.0.113.0/24]" {
			t.Errorf("the other instance lists %s", r.Body)
		}
	})
}

// TestRateLimitVenue: the API rate limit keys requests by voter cookie, and by address only
// without one; a trusted subnet has no address limit. (The limiter itself: access/limiter_test.go.)
func TestRateLimitVenue(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withProxy(), withRateLimit(10))
	poll := "/api/v1/polls/" + e.Poll.ID
	// 10 phones open the ballot from one address: its 10 requests without a cookie.
	phones := make([]*agent, 10)
	for i := range phones {
		phones[i] = e.phone("203.0.113.5")
		if r := phones[i].get(poll); r.Status != 200 {
			t.Fatalf("phone %d: %d", i, r.Status)
		}
	}
	// Each then has its own 10 (the address may make 100 in all).
	for _, p := range phones {
		for range 8 {
			if r := p.get(poll + "/me"); r.Status != 200 {
				t.Fatalf("a phone's own request = %d %s", r.Status, r.Body)
			}
		}
	}
	for range 2 { // (its first request, without the cookie, counted for the address)
		if r := phones[0].get(poll + "/me"); r.Status != 200 {
			t.Errorf("a phone's 10th request with its cookie = %d", r.Status)
		}
	}
	if r := phones[0].get(poll + "/me"); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("a phone's 11th request with its cookie = %d (Retry-After %q)", r.Status, r.Header.Get("Retry-After"))
	}
	if r := e.phone("203.0.113.5").get(poll); r.Status != 429 {
		t.Errorf("11th request without a cookie from the address = %d", r.Status)
	}
	if r := e.phone("198.51.100.1").get(poll); r.Status != 200 {
		t.Errorf("another address = %d", r.Status)
	}
	e.mustAdmin("trusted", map[string]any{"subnet": "203.0.113.0/24"})
	for i := range 20 {
		if r := e.phone("203.0.113.5").get(poll); r.Status != 200 {
			t.Fatalf("trusted venue, new phone %d = %d", i, r.Status)
		}
	}
}

// smallVote casts issue 22's small vote: 30 people at home, each on a line of their own, and 30
// phones in the hall behind the address venue, all honest, spread over candidates a, b and c.
func (e *env) smallVote(venue string) {
	t := e.t
	t.Helper()
	for i := range 30 {
		home := e.phone(ownLine(i))
		if r := home.send(home.open(), page, string(rune('a'+i%3))); r.Status != 201 {
			t.Fatalf("vote from home = %d %s", r.Status, r.Body)
		}
		hall := e.phone(venue)
		if r := hall.send(hall.open(), page, string(rune('a'+(i+1)%3))); r.Status != 201 {
			t.Fatalf("vote from the hall = %d %s", r.Status, r.Body)
		}
	}
}

// TestFinalAtClose (issue 22, "Final at the close"): a small vote, 30 phones in the hall behind
// one address and 30 people at home, all honest; the hall's ballots after its first are pending
// (the rest of the poll has too few ballots to compare with), and the organiser closes. Within
// 15 s every ballot counts: the last pass judges the pending ballots against the whole poll. A
// vote that is one address alone is held for the organiser, each ballot with the signal alone
// (nothing to compare it with), and none is left pending.
func TestFinalAtClose(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		const venue = "203.0.113.77"
		t.Run("a small vote", func(t *testing.T) {
			e := newEnv(t, newStore(t), []string{"fraud: {}"}, withProxy())
			e.smallVote(venue)
			res := e.results("Authorization", "Bearer "+adminToken)
			if res["counted"] == 60.0 {
				t.Fatalf("before the close: %v; want the hall's ballots pending", res)
			}
			e.mustAdmin("status", map[string]any{"status": "closed"})
			deadline := time.Now().Add(15 * time.Second)
			for res["counted"] != 60.0 && time.Now().Before(deadline) {
				time.Sleep(200 * time.Millisecond)
				res = e.results("Authorization", "Bearer "+adminToken)
			}
			if res["counted"] != 60.0 || res["held"] != 0.0 {
				t.Fatalf("15 s after the close: %v; want all 60 counted", res)
			}
		})
		t.Run("one address alone", func(t *testing.T) {
			e := newEnv(t, newStore(t), []string{"fraud: {}"}, withProxy())
			for i := range 20 {
				hall := e.phone(venue)
				if r := hall.send(hall.open(), page, string(rune('a'+i%3))); r.Status != 201 {
					t.Fatalf("vote from the hall = %d %s", r.Status, r.Body)
				}
			}
			e.mustAdmin("status", map[string]any{"status": "closed"})
			ctx := context.Background()
			deadline := time.Now().Add(15 * time.Second)
			for {
				pending, err := e.Store.Pending(ctx, e.Poll, 100)
				if err != nil {
					t.Fatal(err)
				}
				if len(pending) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("15 s after the close: %d pending; want none", len(pending))
				}
				time.Sleep(200 * time.Millisecond)
			}
			held, err := e.Store.Held(ctx, e.Poll, 100)
			if err != nil {
				t.Fatal(err)
			}
			alone := 0
			for _, h := range held {
				if fraud.HeldFor(e.Poll.Fraud, h.Signals) == vote.SignalAlone {
					alone++
				}
			}
			if len(held) != 19 || alone != 19 {
				t.Errorf("after the close: %d held, %d of them alone; want the 19 after the first, each alone", len(held), alone)
			}
		})
	})
}

// TestNewcomersOverview: ballots from networks the poll has not seen in the hour show in the
// signals overview, per candidate, beside the poll's share of them: twelve for one candidate,
// each from a line of its own, beside a venue's thirty (one address: new only for its first),
// mark it.
func TestNewcomersOverview(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), []string{"fraud: {}"}, withProxy())
		for i := range 12 {
			home := e.phone(ownLine(i))
			if r := home.send(home.open(), page, "b"); r.Status != 201 {
				t.Fatalf("vote = %d %s", r.Status, r.Body)
			}
		}
		for i := range 30 {
			hall := e.phone("203.0.113.77")
			if r := hall.send(hall.open(), page, string(rune('a'+2*(i%2)))); r.Status != 201 {
				t.Fatalf("vote = %d %s", r.Status, r.Body)
			}
		}
		nc := e.signals()["newcomers"].(map[string]any)
		if nc["minutes"] != 15.0 || nc["ballots"] != 42.0 || nc["new"] != 13.0 {
			t.Errorf("newcomers = %v; want 42 ballots in 15 minutes, 13 new", nc)
		}
		byID := map[string]string{}
		for _, c := range nc["candidates"].([]any) {
			c := c.(map[string]any)
			byID[c["candidate"].(string)] = fmt.Sprint(c["ballots"], " ", c["new"], " ", c["flagged"])
		}
		if byID["a"] != "15 1 false" || byID["b"] != "12 12 true" || byID["c"] != "15 0 false" {
			t.Errorf("newcomers per candidate = %v; want a 15 1 false, b 12 12 true, c 15 0 false", byID)
		}
	})
}

// TestHoldNewNetworks: the organiser holds new networks for 10 minutes; meanwhile every ballot
// that is the first of its address, subnet and group in the hour is held for review (signal
// new_network), one group of them in the grouped review, released in one action; a network seen
// before is not new. Ending the hold (0 minutes) counts new networks at once again. Bad bodies are
// refused and change nothing.
func TestHoldNewNetworks(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), []string{"fraud: {}"}, withProxy())
		hold := func(body string) response {
			return e.anonymous().do("POST", "/api/v1/admin/polls/"+e.Poll.ID+"/new-networks/hold", []byte(body),
				"Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
		}
		for _, bad := range []string{`{}`, `{"minutes":-1}`, `{"minutes":61}`, `{"minutes":"10"}`, `{"minutes":10,"x":1}`} {
			if r := hold(bad); r.Status != 400 || r.Code(t) != "invalid_request" {
				t.Errorf("hold %s = %d %s, want 400 invalid_request", bad, r.Status, r.Body)
			}
		}
		seen := e.phone(ownLine(0))
		if r := seen.send(seen.open(), page, "a"); r.Status != 201 {
			t.Fatalf("vote = %d %s", r.Status, r.Body)
		}
		r := hold(`{"minutes":10}`)
		if r.Status != 200 || r.JSON(t)["hold_new_until"] == nil {
			t.Fatalf("hold = %d %s", r.Status, r.Body)
		}
		for i := 1; i <= 3; i++ {
			p := e.phone(ownLine(i))
			if r := p.send(p.open(), page, "b"); r.Status != 201 {
				t.Fatalf("vote = %d %s", r.Status, r.Body)
			}
		}
		again := e.phone(ownLine(0)) // a network seen in the hour: pending (shared), not new
		if r := again.send(again.open(), page, "c"); r.Status != 201 {
			t.Fatalf("vote = %d %s", r.Status, r.Body)
		}
		if nc := e.signals()["newcomers"].(map[string]any); nc["held_until"] == nil {
			t.Errorf("newcomers while holding = %v, want held_until", nc)
		}
		groups := e.adminGet("/held/groups").JSON(t)["groups"].([]any)
		var g map[string]any
		for _, x := range groups {
			if x := x.(map[string]any); x["signal"] == "new_network" {
				g = x
			}
		}
		if g == nil || g["source"] != "new-networks" || g["by"] != "new_networks" || g["count"] != 3.0 || fmt.Sprint(g["choices"]) != "map[b:3]" {
			t.Fatalf("held groups = %v; want one group of the 3 new networks", groups)
		}
		r = e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/groups",
			map[string]any{"source": "new-networks", "signal": "new_network", "action": "release", "until": g["last"]}, "Authorization", "Bearer "+adminToken)
		if r.Status != 200 || r.JSON(t)["reviewed"] != 3.0 {
			t.Fatalf("release the group = %d %s", r.Status, r.Body)
		}
		if r := hold(`{"minutes":0}`); r.Status != 200 || r.JSON(t)["hold_new_until"] != nil {
			t.Fatalf("end the hold = %d %s", r.Status, r.Body)
		}
		e.Clock.Set(e.Clock.Now().Add(time.Second)) // past the state cache
		late := e.phone(ownLine(9))
		if r := late.send(late.open(), page, "b"); r.Status != 201 {
			t.Fatalf("vote = %d %s", r.Status, r.Body)
		}
		res := e.results("Authorization", "Bearer "+adminToken)
		if res["counted"] != 5.0 || res["held"] != 1.0 { // the seen network's second waits for the test
			t.Errorf("after the hold: %v; want 5 counted (the first, the 3 released, the last), 1 pending", res)
		}
		actions := 0
		for after := ""; ; {
			page, err := e.Store.Log(context.Background(), e.Poll, after, 1000)
			if err != nil || len(page) == 0 {
				break
			}
			for _, le := range page {
				if le.State == vote.LogAdmin && le.Action == "hold_new_networks" {
					actions++
				}
			}
			after = page[len(page)-1].ID
		}
		if actions != 2 {
			t.Errorf("%d hold_new_networks actions in the log, want 2 (the hold and its end)", actions)
		}
	})
}
