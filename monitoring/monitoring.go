// Package monitoring builds livevote's Prometheus metrics on a registry the program passes in
// (none is global) and receives what the server and the fraud checks measure: Metrics implements
// server.Observer and fraud.Observer.
// The names and labels of the v1 contract's minimum set (README, "Monitoring") are fixed (dashboards and alert rules use them);
// label values are route templates, methods, status codes, poll and candidate ids from the ballot
// file, results, audiences, signal names and refusal reasons only: never an IP address, a voter,
// a receipt or free text. Only livevote_candidate_ballots is per candidate, and only while the
// poll's results are public. The ops files beside this package (prometheus.yml, alerts.yml, grafana-dashboard.json)
// use these metrics; README.md lists them.
//
// The hub's figures and the Redis pool's are read when Prometheus scrapes, as client_golang's
// DBStatsCollector reads a sql.DB's (collectors.go): no copy of them is kept on the way. So
// monitoring knows the hub's Stats (its type only, through the small interface Hub), besides vote
// and the Prometheus client; the Redis pool's figures come as PoolStats, from a function the
// program gives (Options.Pool), so that only the store packages import go-redis.
package monitoring

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/livevote/livevote/vote"
	"github.com/prometheus/client_golang/prometheus"
)

// unknownPollResults are the results an attempt on an unknown poll can end with (of
// Options.Results): the rate limit and the body size come before the poll.
var unknownPollResults = map[string]bool{"poll_not_found": true, "rate_limited": true, "body_too_large": true}

// Buckets of the latency histograms (seconds): a vote is a few milliseconds, a slow one hundreds.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// Options are what Metrics observes besides the server.
type Options struct {
	// Polls are the polls of the ballot: their series are made at start.
	Polls []*vote.Poll
	// Results are the results a vote attempt can end with (server.VoteResults: accepted, held,
	// the error codes), a small fixed set: livevote_votes_total's series for each are made at
	// start. A result not listed gets its series when it is first reported.
	Results []string
	// Hub is the live hub, whose figures are read at each scrape (nil: no hub metrics).
	Hub Hub
	// Store is the vote store, pinged at each scrape (livevote_store_up; nil: no store metrics).
	// When it counts its failed commands too (Errors() uint64: the Redis store), they are read
	// at each scrape (livevote_store_errors_total).
	Store vote.Pinger
	// Pool reads the Redis store's connection pool statistics, at each scrape (the
	// livevote_redis_pool metrics; nil, as with the memory store: none).
	Pool func() PoolStats
}

// Metrics holds livevote's metrics. Create it with New; its methods are safe for concurrent use.
type Metrics struct {
	votes       *prometheus.CounterVec
	voteTime    *prometheus.HistogramVec
	ballots     *prometheus.GaugeVec
	open        *prometheus.GaugeVec
	candidates  *prometheus.GaugeVec
	held        *prometheus.GaugeVec
	pending     *prometheus.GaugeVec
	released    *prometheus.CounterVec
	skewed      *prometheus.CounterVec
	share       *prometheus.GaugeVec
	surging     *prometheus.GaugeVec
	signals     *prometheus.CounterVec
	liveRefused *prometheus.CounterVec
	requests    *prometheus.CounterVec
	reqTime     *prometheus.HistogramVec

	// Series of the vote path, made at start: by poll ("" for an unknown poll), then result or
	// signal. Read only after New.
	polls       map[string]*pollSeries
	signalCount map[string]prometheus.Counter

	mu   sync.RWMutex
	http map[httpKey]httpSeries
}

type pollSeries struct {
	votes    map[string]prometheus.Counter
	duration prometheus.Observer
}

type httpKey struct {
	route, method string
	code          int
}

type httpSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// New makes every metric and registers it on reg.
func New(reg prometheus.Registerer, opts Options) *Metrics {
	m := &Metrics{
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livevote_votes_total",
			Help: "Vote attempts by poll and result: accepted, held, or the error code that refused them.",
		}, []string{"poll", "result"}),
		voteTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "livevote_vote_duration_seconds",
			Help:    "Time to answer a recorded vote (accepted or held), the store's round trip included.",
			Buckets: latencyBuckets,
		}, []string{"poll"}),
		ballots: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livevote_ballots",
			Help: "Counted ballots of the poll (sampled).",
		}, []string{"poll"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livevote_poll_open",
			Help: "1 while the poll takes ballots, else 0 (sampled).",
		}, []string{"poll"}),
		candidates: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livevote_candidate_ballots",
			Help: "Counted choices per candidate (sampled); present only while the poll's results are public.",
		}, []string{"poll", "candidate"}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livevote_fraud_held_pending",
			Help: "Ballots held for review and not yet released or voided (sampled).",
		}, []string{"poll"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livevote_fraud_pending",
			Help: "Held ballots that wait for the choice test to judge their source (part of livevote_fraud_held_pending; sampled).",
		}, []string{"poll"}),
		released: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livevote_fraud_auto_released_total",
			Help: "Pending ballots released automatically by this instance: their source votes like the rest of the poll.",
		}, []string{"poll"}),
		skewed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livevote_fraud_skewed_total",
			Help: "Pending ballots this instance left held for the organiser because their source is skewed.",
		}, []string{"poll"}),
		share: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livevote_fraud_top_subnet_share",
			Help: "Share of the last minute's ballots that came from the busiest subnet (/24 or /48), 0 to 1 (sampled).",
		}, []string{"poll"}),
		surging: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livevote_fraud_candidates_surging",
			Help: "Candidates whose ballots a minute surge against their own baseline and the rest of the poll (0 until 5 minutes of history; sampled). Which ones: the signals overview.",
		}, []string{"poll"}),
		signals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livevote_fraud_signals_total",
			Help: "Vote attempts that showed each fraud signal.",
		}, []string{"signal"}),
		liveRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livevote_ws_admission_refused_total",
			Help: "Live-update connections the server refused, by reason: full (every connection taken), reserved (the rest is kept for organisers), source (one source's allowance), origin (not in LIVEVOTE_WS_ORIGINS).",
		}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livevote_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		reqTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "livevote_http_request_duration_seconds",
			Help:    "Time to handle an HTTP request, by route template and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		polls:       map[string]*pollSeries{},
		signalCount: map[string]prometheus.Counter{},
		http:        map[httpKey]httpSeries{},
	}
	reg.MustRegister(m.votes, m.voteTime, m.ballots, m.open, m.candidates, m.held, m.pending, m.released, m.skewed, m.share,
		m.surging, m.signals, m.liveRefused, m.requests, m.reqTime)
	ids := []string{""}
	for _, p := range opts.Polls {
		ids = append(ids, p.ID)
		m.ballots.WithLabelValues(p.ID)
		m.held.WithLabelValues(p.ID)
		m.pending.WithLabelValues(p.ID)
		m.released.WithLabelValues(p.ID)
		m.skewed.WithLabelValues(p.ID)
		m.share.WithLabelValues(p.ID)
		m.open.WithLabelValues(p.ID)
		m.surging.WithLabelValues(p.ID)
	}
	for _, id := range ids {
		ps := &pollSeries{votes: map[string]prometheus.Counter{}}
		for _, r := range opts.Results {
			if id == "" && !unknownPollResults[r] {
				continue
			}
			ps.votes[r] = m.votes.WithLabelValues(id, r)
		}
		if id != "" {
			ps.duration = m.voteTime.WithLabelValues(id)
		}
		m.polls[id] = ps
	}
	for _, s := range vote.Signals {
		m.signalCount[string(s)] = m.signals.WithLabelValues(string(s))
	}
	if opts.Hub != nil {
		reg.MustRegister(newHubCollector(opts.Hub))
	}
	if opts.Store != nil || opts.Pool != nil {
		reg.MustRegister(newStoreCollector(opts.Store, opts.Pool))
	}
	return m
}

// Request implements server.Observer.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	k := httpKey{route, method, status}
	m.mu.RLock()
	s, ok := m.http[k]
	m.mu.RUnlock()
	if !ok {
		s = m.httpSeries(k)
	}
	s.count.Inc()
	s.duration.Observe(d.Seconds())
}

// knownMethods are the HTTP methods labelled as themselves; any other is "other".
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true,
	"PATCH": true, "OPTIONS": true, "CONNECT": true, "TRACE": true}

// httpSeries makes the series of one route, method and status the first time they are seen. The
// strings are copied: the caller's may be a web framework's reused buffers.
func (m *Metrics) httpSeries(k httpKey) httpSeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.http[k]; ok {
		return s
	}
	method := "other"
	if knownMethods[k.method] {
		method = strings.Clone(k.method)
	}
	route := strings.Clone(k.route)
	s := httpSeries{
		count:    m.requests.WithLabelValues(route, method, strconv.Itoa(k.code)),
		duration: m.reqTime.WithLabelValues(route, method),
	}
	m.http[httpKey{route, strings.Clone(k.method), k.code}] = s
	return s
}

// Vote implements server.Observer. It looks nothing up by label: the series were made at start.
func (m *Metrics) Vote(poll, result string, d time.Duration) {
	ps := m.polls[poll]
	if ps == nil {
		ps = m.polls[""]
	}
	c := ps.votes[result]
	if c == nil {
		c = m.votes.WithLabelValues(poll, result) // a result the API does not list: not expected
	}
	c.Inc()
	if ps.duration != nil && (result == "accepted" || result == "held") {
		ps.duration.Observe(d.Seconds())
	}
}

// Signal implements fraud.Observer.
func (m *Metrics) Signal(signal string) {
	c := m.signalCount[signal]
	if c == nil {
		c = m.signals.WithLabelValues(signal)
	}
	c.Inc()
}

// Poll implements fraud.Observer. Per-candidate counts follow the results' visibility, as the
// public API does (vote.Snapshot.PublicTally): the metrics listener is private, but dashboards get shown around.
func (m *Metrics) Poll(s vote.Snapshot) {
	m.ballots.WithLabelValues(s.Poll).Set(float64(s.Ballots))
	m.held.WithLabelValues(s.Poll).Set(float64(s.Held))
	m.pending.WithLabelValues(s.Poll).Set(float64(s.Pending))
	open := 0.0
	if s.State.Status == vote.StatusOpen {
		open = 1
	}
	m.open.WithLabelValues(s.Poll).Set(open)
	pub := s.PublicTally() // the public's rule: while revealed, only what the stage has shown
	for id := range s.Tally {
		if n, ok := pub[id]; ok {
			m.candidates.WithLabelValues(s.Poll, id).Set(float64(n))
		} else {
			m.candidates.DeleteLabelValues(s.Poll, id)
		}
	}
}

// Fraud implements fraud.Observer. No series is per candidate: a candidate's velocity is its
// count of the last minute, which must not leave the process while results are hidden, and a
// series once scraped cannot be taken back at a reveal, so velocity is never per candidate here
// (organisers read it in the signals overview, behind the token).
func (m *Metrics) Fraud(poll string, topSubnetShare float64, surging int) {
	m.share.WithLabelValues(poll).Set(topSubnetShare)
	m.surging.WithLabelValues(poll).Set(float64(surging))
}

// LiveRefused implements server.Observer. The reasons are the server's small fixed set.
func (m *Metrics) LiveRefused(reason string) {
	m.liveRefused.WithLabelValues(reason).Inc()
}

// Settled implements fraud.Observer. The ballots kept for a skewed source count as the signal
// skewed too.
func (m *Metrics) Settled(poll string, released, skewed int) {
	m.released.WithLabelValues(poll).Add(float64(released))
	m.skewed.WithLabelValues(poll).Add(float64(skewed))
	m.signalCount[string(vote.SignalSkewed)].Add(float64(skewed))
}
