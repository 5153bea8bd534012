package vote

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// Count is what a poll's counters hold, or what its ballot log says they should hold.
type Count struct {
	Ballots int64            `json:"ballots"`
	Held    int64            `json:"held"`
	Void    int64            `json:"void"` // ballots voided by review
	Tally   map[string]int64 `json:"tally"`
}

// Recount replays a poll's ballot log, entry by entry in log order, into the counts the log
// implies. The zero value is not ready: use NewRecount.
type Recount struct {
	Count
	// Entries is the number of log entries replayed; DuplicateVoters counts ballots of a voter
	// who already had one in the same period (never more than zero in a sound log); Unmatched
	// counts reviews of ballots that were not awaiting review.
	Entries         int64
	DuplicateVoters int64
	Unmatched       int64

	voters  map[string]bool
	pending map[string][]string // held receipts awaiting review -> their choices
}

// NewRecount returns an empty recount of p.
func NewRecount(p *Poll) *Recount {
	r := &Recount{Count: Count{Tally: make(map[string]int64, len(p.Candidates))},
		voters: map[string]bool{}, pending: map[string][]string{}}
	for _, c := range p.Candidates {
		r.Tally[c.ID] = 0
	}
	return r
}

// Add replays one log entry.
func (r *Recount) Add(e LogEntry) {
	r.Entries++
	switch e.State {
	case BallotCounted, BallotHeld:
		key := e.Voter + "|" + e.Period
		if r.voters[key] {
			r.DuplicateVoters++
		}
		r.voters[key] = true
		if e.State == BallotHeld {
			r.Held++
			r.pending[e.Receipt] = e.Choices
			return
		}
		r.count(e.Choices)
	case BallotReleased, BallotVoid:
		choices, ok := r.pending[e.Receipt]
		if !ok {
			r.Unmatched++
			return
		}
		delete(r.pending, e.Receipt)
		r.Held--
		if e.State == BallotReleased {
			r.count(choices)
		} else {
			r.Void++
		}
	}
}

func (r *Recount) count(choices []string) {
	r.Ballots++
	for _, c := range choices {
		r.Tally[c]++
	}
}

// replayPage is how many log entries Replay reads per round trip.
const replayPage = 1000

// Replay recounts p's whole ballot log as log reads it, page by page.
func Replay(ctx context.Context, log Records, p *Poll) (*Recount, error) {
	rc := NewRecount(p)
	for after := ""; ; {
		page, err := log.Log(ctx, p, after, replayPage)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return rc, nil
		}
		for _, e := range page {
			rc.Add(e)
		}
		after = page[len(page)-1].ID
	}
}

// Count is what the counters of s hold.
func (s Snapshot) Count() Count {
	return Count{Ballots: s.Ballots, Held: s.Held, Void: s.Void, Tally: s.Tally}
}

// Differences lists where the log's count and the counters disagree, one line each ("ballots:
// log 3, counters 4"), the tally's by candidate id in order; empty (not nil) when they agree.
func Differences(log, counters Count) []string {
	out := []string{}
	if log.Ballots != counters.Ballots {
		out = append(out, fmt.Sprintf("ballots: log %d, counters %d", log.Ballots, counters.Ballots))
	}
	if log.Held != counters.Held {
		out = append(out, fmt.Sprintf("held: log %d, counters %d", log.Held, counters.Held))
	}
	if log.Void != counters.Void {
		out = append(out, fmt.Sprintf("void: log %d, counters %d", log.Void, counters.Void))
	}
	for _, c := range slices.Sorted(maps.Keys(counters.Tally)) {
		if log.Tally[c] != counters.Tally[c] {
			out = append(out, fmt.Sprintf("tally[%s]: log %d, counters %d", c, log.Tally[c], counters.Tally[c]))
		}
	}
	return out
}

// Between reports whether every count of mid lies between lo and hi, either way round (a log
// read while ballots flowed in, between the counters before and after).
func Between(lo, mid, hi Count) bool {
	in := func(a, b, c int64) bool { return min(a, c) <= b && b <= max(a, c) }
	if !in(lo.Ballots, mid.Ballots, hi.Ballots) || !in(lo.Held, mid.Held, hi.Held) || !in(lo.Void, mid.Void, hi.Void) {
		return false
	}
	for c := range hi.Tally {
		if !in(lo.Tally[c], mid.Tally[c], hi.Tally[c]) {
			return false
		}
	}
	return true
}
