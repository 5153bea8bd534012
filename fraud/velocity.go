package fraud

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/livevote/livevote/vote"
)

// The windows of Velocity.
const (
	// RecentWindow is how far back a candidate's current rate looks.
	RecentWindow = time.Minute
	// BaselineWindow is how far back, before the recent window, its baseline looks.
	BaselineWindow = 30 * time.Minute
	// Warmup is the least history a baseline needs: before it, nothing surges.
	Warmup = 5 * time.Minute
	// baselineFloor is the least baseline a rate is compared with (ballots a minute), so that a
	// candidate that had no ballots does not surge on its first few.
	baselineFloor = 1.0
)

// Velocity estimates each candidate's counted ballots a minute over the last minute from
// snapshots of a poll's tally taken at intervals, and compares it with the candidate's own
// baseline: its ballots a minute over the half hour before that. A candidate is surging when its
// rate is at least the policy's VelocityMinRate, at least VelocityRatio times its baseline, and at
// least twice the same ratio of the rest of the poll: a rush that lifts every candidate (the
// ceremony starts, the QR code goes up) is not a surge of one.
//
// The trade-off: an estimator in the process, fed by the snapshots each instance reads anyway,
// costs the vote path nothing (no store write or read per ballot) and every instance computes
// nearly the same from the same shared counts; it sees counted ballots only (held ones are not in
// the tally), at the sampling interval's resolution, and it starts without history after a
// restart (Warmup). Per-candidate buckets in the store would survive restarts for one more write
// per choice on every ballot.
//
// Observe is called by one goroutine; Rates, Surging and SurgingCount by any, concurrently.
type Velocity struct {
	pol   vote.FraudPolicy
	ids   []string
	index map[string]int // read only after NewVelocity

	mu      sync.Mutex
	samples []sample // oldest first, covering RecentWindow + BaselineWindow

	rates   atomic.Pointer[[]Rate]
	surging atomic.Pointer[[]bool] // by candidate index
}

type sample struct {
	at     time.Time
	counts []int64 // by candidate index
	total  int64
}

// Rate is one candidate's velocity.
type Rate struct {
	Candidate string `json:"candidate"`
	// PerMinute is its counted ballots a minute over the last minute; Baseline over the half hour
	// before (0 until Warmup of history).
	PerMinute float64 `json:"per_minute"`
	Baseline  float64 `json:"baseline"`
	// Ratio is PerMinute over the baseline (at least 1 ballot a minute); 0 until Warmup.
	Ratio   float64 `json:"ratio"`
	Surging bool    `json:"surging"`
}

// NewVelocity returns an estimator for the candidates of p under p.Fraud.
func NewVelocity(p *vote.Poll) *Velocity {
	v := &Velocity{pol: p.Fraud, index: make(map[string]int, len(p.Candidates))}
	for i, c := range p.Candidates {
		v.ids = append(v.ids, c.ID)
		v.index[c.ID] = i
	}
	rates := make([]Rate, len(v.ids))
	for i, id := range v.ids {
		rates[i].Candidate = id
	}
	surging := make([]bool, len(v.ids))
	v.rates.Store(&rates)
	v.surging.Store(&surging)
	return v
}

// Observe takes the counted tally of the poll at a moment and updates the rates. Samples older
// than the last one are ignored.
func (v *Velocity) Observe(at time.Time, tally map[string]int64) {
	s := sample{at: at, counts: make([]int64, len(v.ids))}
	for i, id := range v.ids {
		s.counts[i] = tally[id]
		s.total += tally[id]
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := len(v.samples); n > 0 && !at.After(v.samples[n-1].at) {
		return
	}
	v.samples = append(v.samples, s)
	// Keep the newest sample at or before the start of the windows, and everything after it.
	cut := at.Add(-RecentWindow - BaselineWindow)
	drop := 0
	for drop+1 < len(v.samples) && !v.samples[drop+1].at.After(cut) {
		drop++
	}
	v.samples = append(v.samples[:0], v.samples[drop:]...)

	rates := make([]Rate, len(v.ids))
	surging := make([]bool, len(v.ids))
	for i, id := range v.ids {
		rates[i].Candidate = id
	}
	defer func() { v.rates.Store(&rates); v.surging.Store(&surging) }()
	// r: the newest sample at least RecentWindow old, where the recent window starts.
	ri := -1
	for i := len(v.samples) - 1; i >= 0; i-- {
		if !v.samples[i].at.After(at.Add(-RecentWindow)) {
			ri = i
			break
		}
	}
	if ri < 0 {
		return
	}
	r, o := v.samples[ri], v.samples[0]
	recent := at.Sub(r.at).Minutes()
	span := r.at.Sub(o.at)
	warm := span >= Warmup
	ratio := func(now, then, older int64) (perMinute, baseline, ratio float64) {
		perMinute = float64(now-then) / recent
		if !warm {
			return perMinute, 0, 0
		}
		baseline = float64(then-older) / span.Minutes()
		return perMinute, baseline, perMinute / max(baseline, baselineFloor)
	}
	for i := range v.ids {
		pm, base, ra := ratio(s.counts[i], r.counts[i], o.counts[i])
		rates[i].PerMinute, rates[i].Baseline, rates[i].Ratio = pm, base, ra
		if !warm || v.pol.VelocityRatio <= 0 {
			continue
		}
		_, _, rest := ratio(s.total-s.counts[i], r.total-r.counts[i], o.total-o.counts[i])
		surging[i] = pm >= v.pol.VelocityMinRate && ra >= v.pol.VelocityRatio && ra >= 2*rest
		rates[i].Surging = surging[i]
	}
}

// Rates returns every candidate's velocity as of the last Observe, in ballot order.
func (v *Velocity) Rates() []Rate {
	return append([]Rate(nil), *v.rates.Load()...)
}

// SurgingCount returns how many candidates are surging as of the last Observe. It names no
// candidate and no count, so that it may leave the process (metrics) while results are hidden;
// Rates, which tells each candidate's ballots a minute, is for organisers only.
func (v *Velocity) SurgingCount() int {
	n := 0
	for _, s := range *v.surging.Load() {
		if s {
			n++
		}
	}
	return n
}

// Surging reports whether any of the chosen candidates is surging. It takes no lock and does not
// allocate: the vote path calls it.
func (v *Velocity) Surging(choices []string) bool {
	surging := *v.surging.Load()
	for _, c := range choices {
		if i, ok := v.index[c]; ok && surging[i] {
			return true
		}
	}
	return false
}
