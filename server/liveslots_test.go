package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/monitoring"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/prometheus/client_golang/prometheus"
)

// TestLiveSlots: one client that opens live updates until refused takes its source's allowance
// only; the public's share leaves room for the organisers' screens; a trusted subnet (the venue)
// has no allowance; closing gives slots back; every refusal is counted by reason.
func TestLiveSlots(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, memstore.New(), nil, withProxies("127.0.0.1"), func(c *server.Config) {
		c.Live = hub.Limits{MaxConns: 10, Reserved: 2, PerSource: 3}
		c.Observer = monitoring.New(reg, monitoring.Options{Polls: c.Polls})
	})
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	// openAll opens connections until one is refused (at most 10) and returns the open ones.
	openAll := func(query string, header http.Header) []*live {
		t.Helper()
		var open []*live
		for range 10 {
			l, err := e.dial(query, header)
			if err != nil {
				if !strings.Contains(err.Error(), "503") {
					t.Fatalf("refused with %v, want 503", err)
				}
				return open
			}
			l.waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Type == "snapshot" })
			open = append(open, l)
		}
		t.Fatalf("10 connections from %v, none refused", header)
		return nil
	}

	greedy := openAll("", from("198.51.100.1"))
	if len(greedy) != 3 {
		t.Errorf("one source opened %d connections, want its allowance of 3", len(greedy))
	}
	same64 := openAll("", from("2001:db8:1:2::1"))
	if more := openAll("", from("2001:db8:1:2::2")); len(same64) != 3 || len(more) != 0 {
		t.Errorf("an IPv6 /64 opened %d + %d connections, want 3 + 0", len(same64), len(more))
	}
	if other := openAll("", from("198.51.100.2")); len(other) != 2 {
		t.Errorf("a third source opened %d connections, want the 2 left of the public's 8", len(other))
	}
	hdr := withToken(adminToken)
	hdr.Set("X-Forwarded-For", "198.51.100.1")
	organisers := openAll("", hdr)
	if len(organisers) != 2 {
		t.Errorf("organisers opened %d connections, want the 2 kept for them", len(organisers))
	}
	for _, l := range append(greedy, same64...) {
		l.conn.Close()
	}
	waitFor(t, func() bool { return e.Hub.Stats().Conns[0] == 2 })
	venue := "203.0.113.0/24"
	e.mustAdmin("trusted", map[string]any{"subnet": venue})
	if crowd := openAll("", from("203.0.113.9")); len(crowd) != 6 {
		t.Errorf("one address of a trusted subnet opened %d connections, want the 6 public slots left", len(crowd))
	}
	for reason, atLeast := range map[string]float64{"source": 2, "reserved": 1, "full": 2} {
		if got := refusals(t, reg, reason); got < atLeast {
			t.Errorf("livevote_ws_admission_refused_total{reason=%q} = %v, want at least %v", reason, got, atLeast)
		}
	}
}

// refusals returns livevote_ws_admission_refused_total of reason on reg (0 when absent).
func refusals(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "livevote_ws_admission_refused_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// waitFor waits up to 5 s for ok.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
	}
}

// TestLiveScreenCredential (issue 22): with the public's pool taken by a few addresses, the big
// screen still connects in the reserved pool with its credential (a screen token the console
// mints, or the operator's token) and receives the public's snapshots; a screen token drives the
// screen only (results of its poll), makes no other, and stops at its expiry; by default four
// addresses cannot take the public's pool.
func TestLiveScreenCredential(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withRoles(), withProxies("127.0.0.1"), func(c *server.Config) {
		c.Live = hub.Limits{MaxConns: 10, Reserved: 2, PerSource: 4}
	})
	from := func(ip string, h http.Header) http.Header {
		if h == nil {
			h = http.Header{}
		}
		h.Set("X-Forwarded-For", ip)
		return h
	}
	for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		for range 4 {
			e.mustDial("", from(ip, nil)).waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Type == "snapshot" })
		}
	}
	if _, err := e.dial("", from("198.51.100.3", nil)); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a public connection with the public's pool full: %v, want 503", err)
	}

	r := e.admin("screen-token", nil)
	var minted struct {
		Token   string
		Expires time.Time
	}
	if r.Status != 201 || json.Unmarshal(r.Body, &minted) != nil || !strings.HasPrefix(minted.Token, "lvscreen1.") {
		t.Fatalf("POST screen-token = %d %s", r.Status, r.Body)
	}
	if d := minted.Expires.Sub(e.Clock.Now()); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("a screen token expires in %v, want a day", d)
	}
	screen := e.mustDial("?hz=10", from("198.51.100.3", withToken(minted.Token)))
	operator := e.mustDial("?hz=10", from("198.51.100.4", withToken(operatorToken)))
	e.voter().mustVote("b")
	for _, l := range []*live{screen, operator} {
		if f := l.waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Ballots == 1 }); f.Msg.Tally != nil || f.Msg.Held != nil {
			t.Errorf("the screen's message while hidden = %s, want the public's", f.Raw)
		}
	}

	as := func(token string) []string { return []string{"Authorization", "Bearer " + token} }
	base := "/api/v1/admin/polls/" + e.Poll.ID + "/"
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "results", map[string]any{"results": "live"}, 200},
		{"POST", "screen-token", nil, 403},
		{"GET", "held", nil, 403},
		{"POST", "status", map[string]any{"status": "closed"}, 403},
		{"GET", "export", nil, 403},
	} {
		var got response
		if tc.method == "GET" {
			got = e.anonymous().get(base+tc.path, as(minted.Token)...)
		} else {
			got = e.anonymous().postJSON(base+tc.path, tc.body, as(minted.Token)...)
		}
		if got.Status != tc.status {
			t.Errorf("%s %s with a screen token = %d %s, want %d", tc.method, tc.path, got.Status, got.Body, tc.status)
		}
	}
	other := e.anonymous().postJSON("/api/v1/admin/polls/another/results", map[string]any{"results": "live"}, as(minted.Token)...)
	if other.Status != 401 && other.Status != 404 {
		t.Errorf("a screen token on another poll = %d %s", other.Status, other.Body)
	}
	tampered := minted.Token[:len(minted.Token)-2] + "AA"
	if _, err := e.dial("", withToken(tampered)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a tampered screen token: %v, want 401", err)
	}
	e.Clock.Set(minted.Expires)
	if _, err := e.dial("", withToken(minted.Token)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("an expired screen token: %v, want 401", err)
	}
}

// TestLivePerSourceDefault: by default (a share of LIVEVOTE_WS_MAX_CONNS per source) four
// addresses that open all they may leave the public's pool open to a fifth.
func TestLivePerSourceDefault(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withProxies("127.0.0.1"), func(c *server.Config) {
		c.Live = hub.Limits{MaxConns: 100}
	})
	for i := range 4 {
		h := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}}
		for n := 0; ; n++ {
			l, err := e.dial("", h)
			if err != nil {
				break
			}
			e.t.Cleanup(func() { l.conn.Close() })
			if n > 100 {
				t.Fatal("one address opened over 100 connections")
			}
		}
	}
	e.mustDial("", http.Header{"X-Forwarded-For": {"198.51.100.5"}}).waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Type == "snapshot" })
}
