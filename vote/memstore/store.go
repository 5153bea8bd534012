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
	buckets  map[time.Duration]map[int64]int64
	log      []vote.LogEntry
	pending  []string // held receipts awaiting review, oldest first
	fraud    memFraud // sources, trusted subnets, counters (fraud.go)
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
func (m *Store) Cast(ctx context.Context, p *vote.Poll, b vote.Ballot) error {
	if err := ctx.Err(); err != nil {
		return vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	key := b.Voter + "|" + b.Period
	if id, ok := mp.voters[key]; ok && id == b.Receipt {
		if b.Source != nil { // sent again: already recorded
			b.Source.Counts, b.Source.Held = vote.SourceCounts{}, mp.receipts[id].State == vote.BallotHeld
		}
		return nil
	}
	if mp.fraud.capped(b) {
		return vote.ErrSourceCapped
	}
	if mp.stateOf(p).Status != vote.StatusOpen {
		return vote.ErrVotingClosed
	}
	if b.Challenge != "" && !m.useChallenge(p.ID+"\x00"+b.Challenge, b.ChallengeUntil, b.At) {
		return vote.ErrChallengeFailed
	}
	if _, dup := mp.voters[key]; dup {
		return vote.ErrAlreadyVoted
	}
	if mp.fraud.count(b) {
		b.Held = true
	}
	if b.Source != nil {
		b.Source.Held = b.Held
	}
	state := vote.BallotCounted
	if b.Held {
		state = vote.BallotHeld
	}
	r := vote.Receipt{ID: b.Receipt, Poll: p.ID, Choices: slices.Clone(b.Choices), RecordedAt: b.At, State: state, Counted: !b.Held}
	mp.voters[key] = b.Receipt
	mp.receipts[b.Receipt] = r
	mp.appendLog(vote.LogEntry{Receipt: b.Receipt, At: b.At, Voter: b.Voter, Period: b.Period, Choices: r.Choices, State: state})
	if b.Held {
		mp.pending = append(mp.pending, b.Receipt)
		mp.heldN++
		for _, c := range b.Choices {
			mp.held[c]++
		}
		return nil
	}
	mp.count(b.Choices, b.At)
	return nil
}

// count adds a ballot to the tally, the total and the turnout buckets of its time.
func (mp *memPoll) count(choices []string, at time.Time) {
	mp.ballots++
	for _, c := range choices {
		mp.tally[c]++
	}
	for step, counts := range mp.buckets {
		counts[at.Truncate(step).Unix()]++
	}
}

func (mp *memPoll) appendLog(e vote.LogEntry) {
	e.ID = strconv.Itoa(len(mp.log) + 1)
	mp.log = append(mp.log, e)
}

// Held implements Store.
func (m *Store) Held(ctx context.Context, p *vote.Poll, limit int) ([]vote.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	out := make([]vote.Receipt, 0, min(limit, len(mp.pending)))
	for _, id := range mp.pending[:min(limit, len(mp.pending))] {
		out = append(out, mp.receipts[id])
	}
	return out, nil
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
	mp.pending = slices.DeleteFunc(mp.pending, func(id string) bool { return id == receipt })
	mp.heldN--
	for _, c := range r.Choices {
		mp.held[c]--
	}
	r.State = vote.BallotVoid
	if release {
		r.State = vote.BallotReleased
		mp.count(r.Choices, r.RecordedAt)
	}
	r.Counted = r.State.Counts()
	mp.receipts[receipt] = r
	mp.appendLog(vote.LogEntry{Receipt: receipt, At: at, State: r.State})
	return r, nil
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
	return m.setState(ctx, p, "status", func(s *vote.State) { s.Status = st })
}

// SetResults implements Store.
func (m *Store) SetResults(ctx context.Context, p *vote.Poll, v vote.Visibility) (vote.State, error) {
	return m.setState(ctx, p, "results", func(s *vote.State) { s.Results = v })
}

// SetDifficulty implements Store.
func (m *Store) SetDifficulty(ctx context.Context, p *vote.Poll, d int) (vote.State, error) {
	return m.setState(ctx, p, "difficulty", func(s *vote.State) { s.Difficulty = d })
}

// Snapshot implements Store.
func (m *Store) Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return vote.Snapshot{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	s := vote.Snapshot{Poll: p.ID, State: mp.stateOf(p), At: now, Ballots: mp.ballots, Held: mp.heldN,
		Tally: make(map[string]int64, len(p.Candidates))}
	s.State.Status = p.Effective(s.State.Status, now)
	for _, c := range p.Candidates {
		s.Tally[c.ID] = mp.tally[c.ID]
	}
	s.Fraud = mp.fraud.counts()
	minute := now.Truncate(time.Minute).Unix()
	s.Rate = vote.Rate(now, mp.buckets[time.Minute][minute], mp.buckets[time.Minute][minute-60])
	return s, nil
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
