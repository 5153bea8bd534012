// Package memstore is the embedded vote store: everything in this process's memory. It is for one
// instance and for trying livevote, and it is the reference the Redis store is compared with.
package memstore

import (
	"context"
	"fmt"
	"github.com/livevote/livevote/vote"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Store is the embedded store: everything in this process's memory, under one lock. It is for
// one instance and for trying livevote: nothing survives a restart, and other instances cannot see
// it.
type Store struct {
	mu    sync.Mutex
	polls map[string]*memPoll
	// challenges maps a used challenge to when it may be forgotten.
	challenges map[string]time.Time
	sweepAt    time.Time
}

type memPoll struct {
	state    vote.State
	set      map[string]bool // state fields an organiser changed
	voters   map[string]string
	receipts map[string]vote.Receipt
	tally    map[string]int64
	held     map[string]int64
	ballots  int64
	heldN    int64
	voidN    int64 // ballots voided by review
	buckets  map[time.Duration]map[int64]int64
	log      []vote.LogEntry
	pending  []string                   // held receipts awaiting review, oldest first
	waiting  []string                   // the pending ones of them (Records.Pending), oldest first
	why      map[string]vote.HeldBallot // held receipt -> why it is held
	fraud    memFraud                   // sources, trusted subnets, counters (fraud.go)
	// version moves with every change a snapshot shows (vote.Snapshots.Versions).
	version uint64
}

// New returns an empty Store.
func New() *Store {
	return &Store{polls: map[string]*memPoll{}, challenges: map[string]time.Time{}}
}

func (m *Store) poll(p *vote.Poll) *memPoll {
	mp, ok := m.polls[p.ID]
	if !ok {
		mp = &memPoll{
			set:      map[string]bool{},
			voters:   map[string]string{},
			receipts: map[string]vote.Receipt{},
			tally:    map[string]int64{},
			held:     map[string]int64{},
			why:      map[string]vote.HeldBallot{},
			buckets:  map[time.Duration]map[int64]int64{time.Minute: {}, time.Hour: {}},
		}
		m.polls[p.ID] = mp
	}
	return mp
}

func (mp *memPoll) stateOf(p *vote.Poll) vote.State {
	s := p.Initial
	if mp.set["status"] {
		s.Status = mp.state.Status
	}
	if mp.set["results"] {
		s.Results = mp.state.Results
	}
	if mp.set["difficulty"] {
		s.Difficulty = mp.state.Difficulty
	}
	s.HoldNewUntil = mp.state.HoldNewUntil
	if mp.set["withheld"] {
		s.Withheld, s.Before, s.StepAt = mp.state.Withheld, mp.state.Before, mp.state.StepAt
	}
	if mp.set["corrected"] {
		s.Corrected = mp.state.Corrected
	}
	s.Audited, s.AuditConsistent = mp.state.Audited, mp.state.AuditConsistent
	return s
}

// useChallenge marks a challenge used; false when it was used before. Caller holds m.mu.
func (m *Store) useChallenge(key string, until, now time.Time) bool {
	if now.After(m.sweepAt) {
		for k, t := range m.challenges {
			if now.After(t) {
				delete(m.challenges, k)
			}
		}
		m.sweepAt = now.Add(time.Minute)
	}
	if _, used := m.challenges[key]; used {
		return false
	}
	m.challenges[key] = until
	return true
}

// Cast implements Store.
func (m *Store) Cast(ctx context.Context, p *vote.Poll, b vote.Ballot) (vote.Counted, error) {
	if err := ctx.Err(); err != nil {
		return vote.Counted{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	key := b.Voter + "|" + b.Period
	if id, ok := mp.voters[key]; ok && id == b.Receipt {
		return vote.Counted{Held: mp.receipts[id].State == vote.BallotHeld}, nil // sent again: already recorded
	}
	if mp.fraud.capped(b) {
		return vote.Counted{}, vote.ErrSourceCapped
	}
	if mp.stateOf(p).Status != vote.StatusOpen {
		return vote.Counted{}, vote.ErrVotingClosed
	}
	if b.Challenge != "" && !m.useChallenge(p.ID+"\x00"+b.Challenge, b.ChallengeUntil, b.At) {
		return vote.Counted{}, vote.ErrChallengeFailed
	}
	if _, dup := mp.voters[key]; dup {
		return vote.Counted{}, vote.ErrAlreadyVoted
	}
	got, over := mp.fraud.count(b)
	pends := over && !b.Held
	b.Held = b.Held || pends || got.HeldNew
	got.Held = b.Held
	state := vote.BallotCounted
	if b.Held {
		state = vote.BallotHeld
	}
	r := vote.Receipt{ID: b.Receipt, Poll: p.ID, Choices: slices.Clone(b.Choices), RecordedAt: b.At, State: state, Counted: !b.Held}
	mp.voters[key] = b.Receipt
	mp.receipts[b.Receipt] = r
	mp.version++
	mp.appendLog(vote.LogEntry{Receipt: b.Receipt, At: b.At, Voter: b.Voter, Period: b.Period, Choices: r.Choices, State: state})
	mp.turnout(b.At, 1)
	if b.Held {
		mp.pending = append(mp.pending, b.Receipt)
		if pends {
			mp.waiting = append(mp.waiting, b.Receipt)
		}
		signals := b.Signals // and its source's
		if b.Source.IP != "" {
			signals = vote.MergeSignals(b.Signals, got.Signals(b.Source.Caps))
		}
		mp.why[b.Receipt] = vote.HeldBallot{Receipt: r, Signals: signals, IP: b.Source.IP, Subnet: b.Source.Subnet, Group: b.Source.Group}
		mp.heldN++
		for _, c := range b.Choices {
			mp.held[c]++
		}
		return got, nil
	}
	mp.count(b.Choices)
	return got, nil
}

// count adds a ballot to the tally and the total.
func (mp *memPoll) count(choices []string) {
	mp.ballots++
	for _, c := range choices {
		mp.tally[c]++
	}
}

// turnout adds n to the turnout buckets of at (every ballot received, void ones included).
func (mp *memPoll) turnout(at time.Time, n int64) {
	for step, counts := range mp.buckets {
		counts[at.Truncate(step).Unix()] += n
	}
}

func (mp *memPoll) appendLog(e vote.LogEntry) {
	e.ID = strconv.Itoa(len(mp.log) + 1)
	mp.log = append(mp.log, e)
}

// Held implements Store.
func (m *Store) Held(ctx context.Context, p *vote.Poll, limit int) ([]vote.HeldBallot, error) {
	return m.list(ctx, p, limit, func(mp *memPoll) []string { return mp.pending })
}

// Pending implements Store.
func (m *Store) Pending(ctx context.Context, p *vote.Poll, limit int) ([]vote.HeldBallot, error) {
	return m.list(ctx, p, limit, func(mp *memPoll) []string {
		newest := slices.Clone(mp.waiting)
		slices.Reverse(newest)
		return newest
	})
}

// list lists up to limit of the held ballots of p that which names.
func (m *Store) list(ctx context.Context, p *vote.Poll, limit int, which func(*memPoll) []string) ([]vote.HeldBallot, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	ids := which(mp)
	out := make([]vote.HeldBallot, 0, min(limit, len(ids)))
	for _, id := range ids[:min(limit, len(ids))] {
		hb := mp.why[id]
		hb.Receipt, hb.Signals = mp.receipts[id], slices.Clone(hb.Signals)
		out = append(out, hb)
	}
	return out, nil
}

// Keep implements Store.
func (m *Store) Keep(ctx context.Context, p *vote.Poll, receipts []string, signal vote.Signal, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	for _, id := range receipts {
		if !slices.Contains(mp.waiting, id) {
			continue
		}
		mp.waiting = slices.DeleteFunc(mp.waiting, func(x string) bool { return x == id })
		mp.version++
		mp.fraud.keep(mp.receipts[id], at)
		if signal != "" {
			hb := mp.why[id]
			hb.Signals = vote.MergeSignals(hb.Signals, []vote.Signal{signal})
			mp.why[id] = hb
		}
	}
	return nil
}

// Release implements Store.
func (m *Store) Release(ctx context.Context, p *vote.Poll, receipts []string, at time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	n := 0
	for _, id := range receipts {
		if slices.Contains(mp.waiting, id) {
			mp.settle(id, true, at, vote.ReleasedBy)
			n++
		}
	}
	return n, nil
}

// Review implements Store.
func (m *Store) Review(ctx context.Context, p *vote.Poll, receipt string, release bool, at time.Time) (vote.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return vote.Receipt{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	r, ok := mp.receipts[receipt]
	if !ok {
		return vote.Receipt{}, vote.ErrReceiptNotFound
	}
	if r.State != vote.BallotHeld {
		return vote.Receipt{}, vote.ErrNotHeld
	}
	return mp.settle(receipt, release, at, ""), nil
}

// settle releases or voids the held ballot receipt, logged at at by by.
func (mp *memPoll) settle(receipt string, release bool, at time.Time, by string) vote.Receipt {
	r := mp.receipts[receipt]
	drop := func(id string) bool { return id == receipt }
	mp.pending, mp.waiting = slices.DeleteFunc(mp.pending, drop), slices.DeleteFunc(mp.waiting, drop)
	delete(mp.why, receipt)
	mp.version++
	mp.heldN--
	for _, c := range r.Choices {
		mp.held[c]--
	}
	r.State = vote.BallotVoid
	if release {
		r.State = vote.BallotReleased
		mp.count(r.Choices)
	} else {
		mp.voidN++ // the ballot stays received (Snapshot.Received, the turnout): a review is sealed
	}
	r.Counted = r.State.Counts()
	mp.receipts[receipt] = r
	mp.appendLog(vote.LogEntry{Receipt: receipt, At: at, State: r.State, By: by})
	return r
}

// Log implements Store.
func (m *Store) Log(ctx context.Context, p *vote.Poll, after string, limit int) ([]vote.LogEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	start := 0
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("log position %q: not one of this store's", after)
		}
		start = n
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	log := m.poll(p).log
	if start >= len(log) {
		return nil, nil
	}
	return slices.Clone(log[start:min(start+limit, len(log))]), nil
}

func (m *Store) setState(ctx context.Context, p *vote.Poll, field string, set func(*vote.State)) (vote.State, error) {
	if err := ctx.Err(); err != nil {
		return vote.State{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	s := mp.stateOf(p)
	set(&s)
	mp.state = s
	mp.set[field] = true
	mp.version++
	return s, nil
}

// State implements Store.
func (m *Store) State(ctx context.Context, p *vote.Poll) (vote.State, error) {
	if err := ctx.Err(); err != nil {
		return vote.State{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.poll(p).stateOf(p), nil
}

// SetStatus implements Store.
func (m *Store) SetStatus(ctx context.Context, p *vote.Poll, st vote.Status) (vote.State, error) {
	return m.setState(ctx, p, "status", func(s *vote.State) { s.Status, s.Audited, s.AuditConsistent = st, 0, false })
}

// SetResults implements Store.
func (m *Store) SetResults(ctx context.Context, p *vote.Poll, v vote.Visibility) (vote.State, error) {
	return m.setState(ctx, p, "results", func(s *vote.State) { s.Results = v })
}

// SetDifficulty implements Store.
func (m *Store) SetDifficulty(ctx context.Context, p *vote.Poll, d int) (vote.State, error) {
	return m.setState(ctx, p, "difficulty", func(s *vote.State) { s.Difficulty = d })
}

// SetHoldNew implements Store.
func (m *Store) SetHoldNew(ctx context.Context, p *vote.Poll, until time.Time) (vote.State, error) {
	if !until.IsZero() {
		until = until.Truncate(time.Millisecond)
	}
	return m.setState(ctx, p, "hold_new", func(s *vote.State) { s.HoldNewUntil = until })
}

// SetWithheld implements Store.
func (m *Store) SetWithheld(ctx context.Context, p *vote.Poll, n, before int, at int64) (vote.State, error) {
	return m.setState(ctx, p, "withheld", func(s *vote.State) { s.Withheld, s.Before, s.StepAt = n, before, at })
}

// SetAudited implements Store.
func (m *Store) SetAudited(ctx context.Context, p *vote.Poll, at int64, consistent bool) (vote.State, error) {
	return m.setState(ctx, p, "audited", func(s *vote.State) { s.Audited, s.AuditConsistent = at, consistent })
}

// SetCorrected implements Store.
func (m *Store) SetCorrected(ctx context.Context, p *vote.Poll, at int64) (vote.State, error) {
	return m.setState(ctx, p, "corrected", func(s *vote.State) { s.Corrected = at })
}

// Snapshot implements Store.
func (m *Store) Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return vote.Snapshot{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	s := vote.Snapshot{Poll: p.ID, State: mp.stateOf(p), At: now, Ballots: mp.ballots, Held: mp.heldN, Void: mp.voidN, Pending: int64(len(mp.waiting)),
		Tally: make(map[string]int64, len(p.Candidates)), Version: mp.version}
	s.State.Status, s.Turn = p.Effective(s.State.Status, now), p.Turn(s.State.Status, now)
	for _, c := range p.Candidates {
		s.Tally[c.ID] = mp.tally[c.ID]
	}
	s.Fraud = mp.fraud.counts()
	minute := now.Truncate(time.Minute).Unix()
	s.Rate = vote.Rate(now, mp.buckets[time.Minute][minute], mp.buckets[time.Minute][minute-60])
	return s, nil
}

// Versions implements Store.
func (m *Store) Versions(ctx context.Context, polls []*vote.Poll) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]uint64, len(polls))
	for i, p := range polls {
		out[i] = m.poll(p).version
	}
	return out, nil
}

// Turnout implements Store.
func (m *Store) Turnout(ctx context.Context, p *vote.Poll, step time.Duration) (map[int64]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int64]int64{}
	for k, v := range m.poll(p).buckets[step] {
		out[k] = v
	}
	return out, nil
}

// VoterBallot implements Store.
func (m *Store) VoterBallot(ctx context.Context, p *vote.Poll, voter, period string) (vote.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return vote.Receipt{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	id, ok := mp.voters[voter+"|"+period]
	if !ok {
		return vote.Receipt{}, vote.ErrReceiptNotFound
	}
	return mp.receipts[id], nil
}

// Receipt implements Store.
func (m *Store) Receipt(ctx context.Context, p *vote.Poll, id string) (vote.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return vote.Receipt{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.poll(p).receipts[id]
	if !ok {
		return vote.Receipt{}, vote.ErrReceiptNotFound
	}
	return r, nil
}

// UseChallenge implements Store.
func (m *Store) UseChallenge(ctx context.Context, p *vote.Poll, challenge string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.useChallenge(p.ID+"\x00"+challenge, until, time.Now()) {
		return vote.ErrChallengeFailed
	}
	return nil
}

// Ping implements Store; the memory store always answers.
func (m *Store) Ping(context.Context) error { return nil }

// Close implements Store.
func (m *Store) Close() error { return nil }
