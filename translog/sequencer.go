package translog

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/livevote/livevote/vote"
	"golang.org/x/mod/sumdb/tlog"
)

// Source is the ordered log the Sequencer follows: Store.Log of package vote (same contract: up
// to limit entries after the one with id after, "" for the first, oldest first).
type Source interface {
	Log(ctx context.Context, p *vote.Poll, after string, limit int) ([]vote.LogEntry, error)
}

// Sequencing constants.
const (
	// page is how many log entries one read of the Source returns.
	page = 1000
	// markEvery is how many leaves apart the store positions kept for reading leaves by index
	// are (a position is a Redis stream id: about 16 bytes per markEvery leaves).
	markEvery = 1000
	// DefaultEvery is how often Run reads the new entries of every poll.
	DefaultEvery = 250 * time.Millisecond
)

// Sequencer turns the ballot log of each poll into an RFC 6962 tree and signs its checkpoints.
// It keeps per poll, in memory: the tree's stored hashes (about 64 bytes per entry), the index of
// each ballot's leaf by receipt, a store position every markEvery leaves, and the latest signed
// checkpoint. It rebuilds all of it from the Source on start (Run's first pass). Its methods are
// safe for concurrent use.
type Sequencer struct {
	src  Source
	key  *Key
	logs map[string]*pollLog
}

// pollLog is one poll's tree. sync serialises syncs; mu guards the rest (readers share it).
type pollLog struct {
	poll   *vote.Poll
	origin string
	sync   sync.Mutex

	mu     sync.RWMutex
	tree   Tree
	last   string           // store position of the last sequenced entry
	index  map[string]int64 // receipt -> leaf index of its ballot
	marks  []string         // marks[k]: store position after which leaf k*markEvery starts
	cp     Checkpoint
	signed []byte
}

// New returns a Sequencer for polls over src, signing with key. Each poll's origin is
// key.Name() + "/" + the poll's id. Its trees are empty until Sync or Run reads the log.
func New(src Source, key *Key, polls []*vote.Poll) (*Sequencer, error) {
	s := &Sequencer{src: src, key: key, logs: make(map[string]*pollLog, len(polls))}
	for _, p := range polls {
		l := &pollLog{poll: p, origin: key.Name() + "/" + p.ID, index: map[string]int64{}, marks: []string{""}}
		if err := l.publish(key); err != nil {
			return nil, err
		}
		s.logs[p.ID] = l
	}
	return s, nil
}

// VerifierKey returns the note verifier key of the checkpoints.
func (s *Sequencer) VerifierKey() string { return s.key.VerifierKey() }

func (s *Sequencer) log(p *vote.Poll) *pollLog {
	l, ok := s.logs[p.ID]
	if !ok {
		panic("translog: poll " + p.ID + " was not given to New")
	}
	return l
}

// Run follows every poll's log: it syncs each poll at once (rebuilding the trees after a start)
// and then every every (DefaultEvery when 0), until ctx is done. A failed sync is tried again at
// the next tick; the first failure of a poll after a success is reported to onErr (when not nil),
// and so is the next success (err nil), so that an outage of the store is reported once.
func (s *Sequencer) Run(ctx context.Context, every time.Duration, onErr func(p *vote.Poll, err error)) {
	if every <= 0 {
		every = DefaultEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := map[string]bool{}
	for {
		for _, l := range s.logs {
			_, err := s.Sync(ctx, l.poll)
			if ctx.Err() != nil {
				return
			}
			if failing[l.poll.ID] != (err != nil) && onErr != nil {
				onErr(l.poll, err)
			}
			failing[l.poll.ID] = err != nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sync reads p's log from where the tree ends to the end of the log, appends every entry as a leaf
// in log order and publishes a signed checkpoint after each page read. It returns the tree size
// it reached: every entry in the log when Sync started is in the tree of that size. This is the
// one place where log order becomes tree order: a poll spread over several streams (shards)
// would merge them here, in an order every instance derives alike.
func (s *Sequencer) Sync(ctx context.Context, p *vote.Poll) (int64, error) {
	l := s.log(p)
	l.sync.Lock()
	defer l.sync.Unlock()
	for {
		l.mu.RLock()
		after, size := l.last, l.tree.Size()
		l.mu.RUnlock()
		entries, err := s.src.Log(ctx, p, after, page)
		if err != nil {
			return size, err
		}
		if len(entries) == 0 {
			return size, nil
		}
		if err := l.append(entries, s.key); err != nil {
			return size, err
		}
	}
}

// append adds entries as leaves and publishes the checkpoint of the new size.
func (l *pollLog) append(entries []vote.LogEntry, key *Key) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range entries {
		i, err := l.tree.Append(EntryBytes(e))
		if err != nil {
			return err
		}
		if e.State == vote.BallotCounted || e.State == vote.BallotHeld {
			l.index[e.Receipt] = i
		}
		l.last = e.ID
		if (i+1)%markEvery == 0 {
			l.marks = append(l.marks, e.ID)
		}
	}
	return l.publish(key)
}

// publish signs the checkpoint of the whole tree. Caller holds l.mu (or owns l).
func (l *pollLog) publish(key *Key) error {
	root, err := l.tree.Root(l.tree.Size())
	if err != nil {
		return err
	}
	cp := Checkpoint{Origin: l.origin, Size: l.tree.Size(), Root: root}
	signed, err := key.Sign(cp)
	if err != nil {
		return err
	}
	l.cp, l.signed = cp, signed
	return nil
}

// Checkpoint returns p's latest checkpoint and its signed note.
func (s *Sequencer) Checkpoint(p *vote.Poll) (Checkpoint, []byte) {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cp, l.signed
}

// CheckpointAt returns p's signed checkpoint of size n (at most the latest checkpoint's size):
// the same bytes every instance signs at that size.
func (s *Sequencer) CheckpointAt(p *vote.Poll, n int64) ([]byte, error) {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	if n == l.cp.Size {
		return l.signed, nil
	}
	if n < 0 || n > l.cp.Size {
		return nil, ErrNotInCheckpoint
	}
	root, err := l.tree.Root(n)
	if err != nil {
		return nil, err
	}
	return s.key.Sign(Checkpoint{Origin: l.origin, Size: n, Root: root})
}

// Inclusion is the proof that one entry is in a signed checkpoint, as the API answers it.
type Inclusion struct {
	Poll       string   `json:"poll"`
	Index      int64    `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	Leaf       string   `json:"leaf"`   // base64 of the leaf bytes
	Hashes     []string `json:"hashes"` // base64, the RFC 6962 audit path, leaf to root
	Checkpoint string   `json:"checkpoint"`
}

// Prove returns the inclusion proof of the ballot of receipt r in p's latest checkpoint, or
// ErrNotInCheckpoint when the ballot is not sequenced yet. It fails when r's leaf (rebuilt from
// the receipt) is not the leaf the tree holds.
func (s *Sequencer) Prove(p *vote.Poll, r vote.Receipt) (Inclusion, error) {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, ok := l.index[r.ID]
	if !ok {
		return Inclusion{}, ErrNotInCheckpoint
	}
	leaf := ReceiptLeaf(r)
	if h, err := l.tree.LeafHash(i); err != nil || h != tlog.RecordHash(leaf) {
		return Inclusion{}, fmt.Errorf("translog: poll %s: the receipt's ballot is not leaf %d of the tree", p.ID, i)
	}
	proof, err := l.tree.Inclusion(i, l.cp.Size)
	if err != nil {
		return Inclusion{}, err
	}
	return Inclusion{Poll: p.ID, Index: i, TreeSize: l.cp.Size, Leaf: base64.StdEncoding.EncodeToString(leaf),
		Hashes: hashesBase64(proof), Checkpoint: string(l.signed)}, nil
}

// Consistency returns the RFC 6962 consistency proof (base64 hashes) between p's trees of sizes m
// and n, 0 < m <= n <= the latest checkpoint's size; ErrNotInCheckpoint otherwise.
func (s *Sequencer) Consistency(p *vote.Poll, m, n int64) ([]string, error) {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	if n > l.cp.Size {
		return nil, ErrNotInCheckpoint
	}
	proof, err := l.tree.Consistency(m, n)
	if err != nil {
		return nil, err
	}
	return hashesBase64(proof), nil
}

// Entries reads p's log entries from leaf index from, at most n of them and none beyond the latest
// checkpoint, and calls yield with each entry's leaf index, the entry and its leaf bytes. It checks
// every leaf against the tree: an entry changed in the store since it was sequenced is an error,
// never served.
func (s *Sequencer) Entries(ctx context.Context, p *vote.Poll, from, n int64, yield func(i int64, e vote.LogEntry, leaf []byte) error) error {
	l := s.log(p)
	l.mu.RLock()
	size := l.cp.Size
	after := ""
	if from >= 0 && from < size {
		after = l.marks[from/markEvery]
	}
	l.mu.RUnlock()
	if from < 0 || from >= size || n <= 0 {
		return nil
	}
	end := min(from+n, size)
	i := from - from%markEvery
	for i < end {
		entries, err := s.src.Log(ctx, p, after, page)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			return fmt.Errorf("translog: poll %s: the log ends at %d entries, the tree has %d", p.ID, i, size)
		}
		for _, e := range entries {
			if i >= end {
				return nil
			}
			if i >= from {
				leaf := EntryBytes(e)
				l.mu.RLock()
				h, err := l.tree.LeafHash(i)
				l.mu.RUnlock()
				if err != nil || h != tlog.RecordHash(leaf) {
					return fmt.Errorf("translog: poll %s: log entry %s is not leaf %d of the tree", p.ID, e.ID, i)
				}
				if err := yield(i, e, leaf); err != nil {
					return err
				}
			}
			i++
		}
		after = entries[len(entries)-1].ID
	}
	return nil
}
