package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// Observer receives what the server measures, for metrics (package monitoring implements it).
// Every method must be safe for concurrent use and cheap: Request runs for every request, Vote
// and Signal on the vote path. Label values are route templates, poll and candidate ids of the
// ballot file, results, signal names and live-update refusal reasons: never an IP address, a
// voter, a receipt or free text. Nothing per candidate is reported but the counts of a snapshot
// (Poll), which an Observer must expose only while the snapshot's results are public.
type Observer interface {
	// Request reports one HTTP request: its route template (never the raw path), method, status
	// and how long the handlers took.
	Request(route, method string, status int, d time.Duration)
	// Vote reports one vote attempt: its poll ("" when the poll is unknown), its result
	// ("accepted", "held", or the error code that refused it), and how long it took to answer,
	// the store's round trip included.
	Vote(poll, result string, d time.Duration)
	// Signal reports a fraud signal one vote attempt showed.
	Signal(signal string)
	// Poll reports a poll's state as sampled (every Config.SampleEvery).
	Poll(s vote.Snapshot)
	// Fraud reports a poll's fraud figures as sampled: the busiest subnet's share of the last
	// minute's ballots (0 without ballots) and how many candidates are surging (fraud.Velocity),
	// without saying which: a candidate's velocity is its recent count, and would tell a hidden
	// tally (the organisers read it in the signals overview).
	Fraud(poll string, topSubnetShare float64, surging int)
	// LiveRefused reports a live-updates connection refused, by reason: "full", "reserved",
	// "source" (the hub's admission: hub.RefusedFull, ...) or "origin" (ws.go).
	LiveRefused(reason string)
	// Settled reports one settling pass of a poll's pending ballots: how many were released
	// automatically and how many stay held for a skewed source.
	Settled(poll string, released, skewed int)
}

// nopObserver is the Observer of a server configured without one.
type nopObserver struct{}

func (nopObserver) Request(string, string, int, time.Duration) {}
func (nopObserver) Vote(string, string, time.Duration)         {}
func (nopObserver) Signal(string)                              {}
func (nopObserver) Poll(vote.Snapshot)                         {}
func (nopObserver) Fraud(string, float64, int)                 {}
func (nopObserver) LiveRefused(string)                         {}
func (nopObserver) Settled(string, int, int)                   {}

// observeHTTP reports every request to the observer by its route template. It runs first, so it
// sees the error a handler returned (which the error handler answers after it).
func (s *server) observeHTTP() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status, _, _ = classify(err)
		}
		s.obs.Request(c.Route().Path, c.Method(), status, time.Since(start))
		return err
	}
}

// voteResults are the results of a vote attempt, as the fraud counters keep them per poll.
var voteResults = VoteResults()

var voteResultIndex = func() map[string]int {
	m := make(map[string]int, len(voteResults))
	for i, r := range voteResults {
		m[r] = i
	}
	return m
}()

var signalIndex = func() map[vote.Signal]int {
	m := make(map[vote.Signal]int, len(vote.Signals))
	for i, s := range vote.Signals {
		m[s] = i
	}
	return m
}()

// reportVote reports the result of a vote attempt on poll pf (nil when the poll is unknown) that
// began at start and ended with err (nil: recorded, held or not).
func (s *server) reportVote(pf *pollFraud, held bool, err error, start time.Time) {
	result := "accepted"
	switch {
	case err != nil:
		result = Code(err)
	case held:
		result = "held"
	}
	poll := ""
	if pf != nil {
		poll = pf.poll.ID
		if i, ok := voteResultIndex[result]; ok {
			pf.results[i].Add(1)
		}
	}
	s.obs.Vote(poll, result, time.Since(start))
}

// reportSignals reports the signals of one attempt on poll pf.
func (s *server) reportSignals(pf *pollFraud, signals []vote.Signal) {
	for _, sig := range signals {
		pf.signals[signalIndex[sig]].Add(1)
		s.obs.Signal(string(sig))
	}
}
