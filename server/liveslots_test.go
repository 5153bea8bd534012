package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

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
		c.Live = server.LiveLimits{MaxConns: 10, Reserved: 2, PerSource: 3}
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
	organisers := openAll("?token="+adminToken, from("198.51.100.1"))
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
