package vote

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
