package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// Observer receives what the server measures, for metrics (package monitoring implements it).
// Every method must be safe for concurrent use and cheap: Request runs for every request, Vote
// on the vote path. Label values are route templates, poll ids of the ballot file, results and
// live-update refusal reasons: never an IP address, a voter, a receipt or free text. The fraud
// checks report to an Observer of their own (fraud.Observer).
type Observer interface {
	// Request reports one HTTP request: its route template (never the raw path), method, status
	// and how long the handlers took.
	Request(route, method string, status int, d time.Duration)
	// Vote reports one vote attempt: its poll ("" when the poll is unknown), its result
	// ("accepted", "held", or the error code that refused it), and how long it took to answer,
	// the store's round trip included.
	Vote(poll, result string, d time.Duration)
	// LiveRefused reports a live-updates connection refused, by reason: "full", "reserved",
	// "source" (the hub's admission: hub.RefusedFull, ...) or "origin" (ws.go).
	LiveRefused(reason string)
}

// nopObserver is the Observer of a server configured without one.
type nopObserver struct{}

func (nopObserver) Request(string, string, int, time.Duration) {}
func (nopObserver) Vote(string, string, time.Duration)         {}
func (nopObserver) LiveRefused(string)                         {}

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

// reportVote reports the result of a vote attempt on the poll with id poll (unknown: not
// counted) that began at start and ended with err (nil: recorded, held or not).
func (s *server) reportVote(poll string, held bool, err error, start time.Time) {
	result := "accepted"
	switch {
	case err != nil:
		result = Code(err)
	case held:
		result = "held"
	}
	s.fraud.CountResult(poll, result)
	if s.polls[poll] == nil {
		poll = ""
	}
	s.obs.Vote(poll, result, time.Since(start))
}
