package monitoring_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/monitoring"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// results are what the server passes as Options.Results (server.VoteResults), in part.
var results = []string{"accepted", "held", "rate_limited", "poll_not_found", "challenge_failed", "already_voted", "internal"}

func newMetrics(t *testing.T, up *bool) (*monitoring.Metrics, *prometheus.Registry, *vote.Poll) {
	t.Helper()
	p := votetest.Poll(t)
	reg := prometheus.NewPedanticRegistry()
	m := monitoring.New(reg, monitoring.Options{
		Polls:   []*vote.Poll{p},
		Results: results,
		Hub: fakeHub{
			Conns: [2]int{hub.Public: 3, hub.Organiser: 1}, Messages: [2]uint64{hub.Public: 30, hub.Organiser: 10},
			Evictions: 2, TickHz: 4, LastTick: 3 * time.Millisecond, LastRead: time.Millisecond,
		},
		Store: fakeStore{up},
		Pool:  func() monitoring.PoolStats { return monitoring.PoolStats{Hits: 5, TotalConns: 4, IdleConns: 3} },
	})
	return m, reg, p
}

// fakeHub is a hub with fixed figures.
type fakeHub hub.Stats

func (h fakeHub) Stats() hub.Stats { return hub.Stats(h) }

// fakeStore is a store that answers while *up, and has had 7 commands fail.
type fakeStore struct{ up *bool }

func (s fakeStore) Ping(context.Context) error {
	if *s.up {
		return nil
	}
	return errors.New("down")
}

func (fakeStore) Errors() uint64 { return 7 }

// TestMetrics: every metric of the v1 contract's minimum set (README, "Monitoring") and the others, with their labels, moving
// with what the server reports; the exposition passes the Prometheus linter.
func TestMetrics(t *testing.T) {
	up := true
	m, reg, p := newMetrics(t, &up)
	m.Vote(p.ID, "accepted", 3*time.Millisecond)
	m.Vote(p.ID, "held", 4*time.Millisecond)
	m.Vote(p.ID, "already_voted", time.Millisecond)
	m.Vote("", "poll_not_found", time.Millisecond)
	m.Signal("tool_agent")
	m.Signal("tool_agent")
	m.Request("/api/v1/polls/:poll/votes", "POST", 201, 3*time.Millisecond)
	m.Request("/api/v1/polls/:poll/votes", "BREW", 405, time.Millisecond)
	m.Poll(vote.Snapshot{Poll: p.ID, State: vote.State{Status: vote.StatusOpen, Results: vote.ResultsLive},
		Ballots: 1, Held: 1, Pending: 1, Tally: map[string]int64{"a": 1, "b": 0, "c": 0}})
	m.Fraud(p.ID, 0.25, 2)
	m.LiveRefused("reserved")
	m.Settled(p.ID, 5, 0)
	m.Settled(p.ID, 2, 3)

	for series, want := range map[string]float64{
		`livevote_votes_total{poll="` + p.ID + `",result="accepted"}`:                                   1,
		`livevote_votes_total{poll="` + p.ID + `",result="held"}`:                                       1,
		`livevote_votes_total{poll="` + p.ID + `",result="already_voted"}`:                              1,
		`livevote_votes_total{poll="` + p.ID + `",result="challenge_failed"}`:                           0,
		`livevote_votes_total{poll="",result="poll_not_found"}`:                                         1,
		`livevote_votes_total{poll="",result="rate_limited"}`:                                           0,
		`livevote_votes_total{poll="",result="already_voted"}`:                                          -1, // not for an unknown poll
		`livevote_vote_duration_seconds_count{poll="` + p.ID + `"}`:                                     2,
		`livevote_fraud_signals_total{signal="tool_agent"}`:                                             2,
		`livevote_fraud_signals_total{signal="honeypot"}`:                                               0,
		`livevote_http_requests_total{code="201",method="POST",route="/api/v1/polls/:poll/votes"}`:      1,
		`livevote_http_requests_total{code="405",method="other",route="/api/v1/polls/:poll/votes"}`:     1,
		`livevote_http_request_duration_seconds_count{method="POST",route="/api/v1/polls/:poll/votes"}`: 1,
		`livevote_ballots{poll="` + p.ID + `"}`:                                                         1,
		`livevote_poll_open{poll="` + p.ID + `"}`:                                                       1,
		`livevote_fraud_held_pending{poll="` + p.ID + `"}`:                                              1,
		`livevote_fraud_pending{poll="` + p.ID + `"}`:                                                   1,
		`livevote_fraud_auto_released_total{poll="` + p.ID + `"}`:                                       7,
		`livevote_fraud_skewed_total{poll="` + p.ID + `"}`:                                              3,
		`livevote_fraud_signals_total{signal="skewed"}`:                                                 3,
		`livevote_candidate_ballots{candidate="a",poll="` + p.ID + `"}`:                                 1,
		`livevote_fraud_top_subnet_share{poll="` + p.ID + `"}`:                                          0.25,
		`livevote_fraud_candidates_surging{poll="` + p.ID + `"}`:                                        2,
		`livevote_ws_admission_refused_total{reason="reserved"}`:                                        1,
		`livevote_ws_connections{audience="public"}`:                                                    3,
		`livevote_ws_messages_total{audience="organiser"}`:                                              10,
		`livevote_ws_evictions_total`:                                                                   2,
		`livevote_ws_tick_seconds`:                                                                      0.003,
		`livevote_store_up`:                                                                             1,
		`livevote_store_errors_total`:                                                                   7,
		`livevote_redis_pool_hits_total`:                                                                5,
		`livevote_redis_pool_connections{state="idle"}`:                                                 3,
	} {
		if got := value(t, reg, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}

	// While results are hidden, the per-candidate counts are not exposed.
	m.Poll(vote.Snapshot{Poll: p.ID, State: vote.State{Status: vote.StatusPaused, Results: vote.ResultsHidden},
		Ballots: 2, Tally: map[string]int64{"a": 2, "b": 0, "c": 0}})
	if got := value(t, reg, `livevote_candidate_ballots{candidate="a",poll="`+p.ID+`"}`); got != -1 {
		t.Errorf("candidate count while hidden = %v, want no series", got)
	}
	if got := value(t, reg, `livevote_poll_open{poll="`+p.ID+`"}`); got != 0 {
		t.Errorf("open while paused = %v", got)
	}
	up = false
	if got := value(t, reg, `livevote_store_up`); got != 0 {
		t.Errorf("livevote_store_up with the store down = %v", got)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestHotPathAllocations: reporting a vote, a signal and a known request allocates nothing.
func TestHotPathAllocations(t *testing.T) {
	up := true
	m, _, p := newMetrics(t, &up)
	m.Request("/api/v1/polls/:poll/votes", "POST", 201, time.Millisecond)
	if n := testing.AllocsPerRun(1000, func() {
		m.Vote(p.ID, "accepted", time.Millisecond)
		m.Signal("too_fast")
		m.Request("/api/v1/polls/:poll/votes", "POST", 201, time.Millisecond)
	}); n != 0 {
		t.Errorf("%v allocations per vote reported", n)
	}
}

// value returns the value of a series (as exposed: name{labels sorted}) or -1.
func value(t *testing.T, reg prometheus.Gatherer, series string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case name == series && m.Counter != nil:
				return m.Counter.GetValue()
			case name == series && m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil && strings.Replace(series, "_count", "", 1) == name:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return -1
}

func BenchmarkVote(b *testing.B) {
	reg := prometheus.NewRegistry()
	p := votetest.Poll(b)
	m := monitoring.New(reg, monitoring.Options{Polls: []*vote.Poll{p}, Results: results})
	for b.Loop() {
		m.Vote(p.ID, "accepted", time.Millisecond)
		m.Request("/api/v1/polls/:poll/votes", "POST", 201, time.Millisecond)
	}
}
