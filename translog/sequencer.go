package translog

import (
	"context"
	"encoding/base64"
	"encoding/hex"
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

// Sequencer turns the ballot log of each poll into its two RFC 6962 trees (seal.go: the public
// tree, whose checkpoints it signs, and the sealed tree, committed to by the public tree's seals).
// It keeps per poll, in memory: both trees' stored hashes (about 64 bytes per entry each), for
// each public leaf the sealed entry it comes from (8 bytes), the index of each ballot's public
// leaf by receipt, the sealed indexes of the reviews by receipt, a store position every
// markEvery entries, and the latest signed checkpoint. It rebuilds all of it from the Source on
// start (Run's first pass). Its methods are safe for concurrent use.
type Sequencer struct {
	src  Source
	key  *Key
	logs map[string]*pollLog
}

// pollLog is one poll's trees. sync serialises syncs; mu guards the rest (readers share it).
type pollLog struct {
	poll   *vote.Poll
	origin string
	salt   []byte
	sync   sync.Mutex

	mu      sync.RWMutex
	sealed  Tree    // every entry's LeafOf, in log order
	public  Tree    // public leaves and seals (seal.go)
	sealer  Sealer  // where the public tree stands in the rule of seal.go
	pubSrc  []int64 // public leaf k: the sealed index of its entry, or -(j+1) for seals[j]
	seals   []seal
	last    string             // store position of the last sequenced entry
	index   map[string]int64   // receipt -> public leaf index of its ballot
	reviews map[string][]int64 // receipt -> sealed indexes of its reviews
	marks   []string           // marks[k]: store position after which sealed leaf k*markEvery starts
	voids   int64              // void entries in the sealed tree
	cp      Checkpoint
	head    Head
	signed  []byte
	leaf    []byte // the leaf being appended (a buffer reused from one entry to the next)
}

// seal is one seal leaf of the public tree: its commitment, the sealed tree's size it commits
// to, and its index in the public tree.
type seal struct {
	commitment string
	sealed     int64
	index      int64
}

// Head is where a poll's log stands at a checkpoint: the public tree's size (the checkpoint's),
// the sealed tree's, and how many of the sealed entries void a ballot.
type Head struct {
	Size   int64
	Sealed int64
	Void   int64
}

// New returns a Sequencer for polls over src, signing with key. Each poll's origin is
// key.Name() + "/" + the poll's id. Its trees are empty until Sync or Run reads the log.
func New(src Source, key *Key, polls []*vote.Poll) (*Sequencer, error) {
	s := &Sequencer{src: src, key: key, logs: make(map[string]*pollLog, len(polls))}
	for _, p := range polls {
		origin := key.Name() + "/" + p.ID
		l := &pollLog{poll: p, origin: origin, salt: key.Salt(origin), index: map[string]int64{},
			reviews: map[string][]int64{}, marks: []string{""}}
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

// Sync reads p's log from where the trees end to the end of the log, appends every entry in log
// order and publishes a signed checkpoint after each page read. It returns the head it reached:
// every entry in the log when Sync started is in the sealed tree of that size. This is the one
// place where log order becomes tree order: a poll spread over several streams (shards) would
// merge them here, in an order every instance derives alike.
func (s *Sequencer) Sync(ctx context.Context, p *vote.Poll) (Head, error) {
	l := s.log(p)
	l.sync.Lock()
	defer l.sync.Unlock()
	for {
		l.mu.RLock()
		after, head := l.last, l.head
		l.mu.RUnlock()
		entries, err := s.src.Log(ctx, p, after, page)
		if err != nil {
			return head, err
		}
		if len(entries) == 0 {
			return head, nil
		}
		if err := l.append(entries, s.key); err != nil {
			return head, err
		}
	}
}

// append adds entries to the trees (seal.go) and publishes the checkpoint of the new size.
func (l *pollLog) append(entries []vote.LogEntry, key *Key) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range entries {
		full := LeafOf(e)
		l.leaf = full.AppendTo(l.leaf[:0])
		si, err := l.sealed.Append(l.leaf)
		if err != nil {
			return err
		}
		switch e.State {
		case vote.BallotVoid:
			l.voids++
			fallthrough
		case vote.BallotReleased:
			l.reviews[e.Receipt] = append(l.reviews[e.Receipt], si)
		}
		l.last = e.ID
		if (si+1)%markEvery == 0 {
			l.marks = append(l.marks, e.ID)
		}
		pub, ok, sealNow := l.sealer.Next(e, full)
		if ok {
			l.leaf = pub.AppendTo(l.leaf[:0])
			pi, err := l.public.Append(l.leaf)
			if err != nil {
				return err
			}
			l.pubSrc = append(l.pubSrc, si)
			if pub.Type == TypeBallot {
				l.index[e.Receipt] = pi
			}
		}
		if sealNow {
			if err := l.seal(); err != nil {
				return err
			}
		}
	}
	return l.publish(key)
}

// seal appends a seal of the whole sealed tree to the public tree. Caller holds l.mu.
func (l *pollLog) seal() error {
	n := l.sealed.Size()
	root, err := l.sealed.Root(n)
	if err != nil {
		return err
	}
	c := Commitment(l.salt, n, root)
	pi, err := l.public.Append(SealLeaf(c))
	if err != nil {
		return err
	}
	l.pubSrc = append(l.pubSrc, -int64(len(l.seals))-1)
	l.seals = append(l.seals, seal{commitment: c, sealed: n, index: pi})
	return nil
}

// publish signs the checkpoint of the whole public tree. Caller holds l.mu (or owns l).
func (l *pollLog) publish(key *Key) error {
	root, err := l.public.Root(l.public.Size())
	if err != nil {
		return err
	}
	cp := Checkpoint{Origin: l.origin, Size: l.public.Size(), Root: root}
	signed, err := key.Sign(cp)
	if err != nil {
		return err
	}
	l.cp, l.signed, l.head = cp, signed, Head{Size: cp.Size, Sealed: l.sealed.Size(), Void: l.voids}
	return nil
}

// Opened reports whether p's log is open (seal.go, Opens): its sealed tree and salt are public.
func (s *Sequencer) Opened(p *vote.Poll) bool {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.sealer.Open()
}

// Salt returns p's salt (seal.go). Only an opened log's salt may be published.
func (s *Sequencer) Salt(p *vote.Poll) []byte { return s.log(p).salt }

// Checkpoint returns p's latest checkpoint and its signed note.
func (s *Sequencer) Checkpoint(p *vote.Poll) (Checkpoint, []byte) {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cp, l.signed
}

// Head returns where p's log stands at its latest checkpoint.
func (s *Sequencer) Head(p *vote.Poll) Head {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.head
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
	root, err := l.public.Root(n)
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

// Prove returns the inclusion proof of the public leaf of the ballot of receipt r in p's latest
// checkpoint, or ErrNotInCheckpoint when the ballot is not sequenced yet. It fails when r's leaf
// (rebuilt from the receipt) is not the leaf the tree holds.
func (s *Sequencer) Prove(p *vote.Poll, r vote.Receipt) (Inclusion, error) {
	l := s.log(p)
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, ok := l.index[r.ID]
	if !ok {
		return Inclusion{}, ErrNotInCheckpoint
	}
	leaf := ReceiptLeaf(r)
	if h, err := l.public.LeafHash(i); err != nil || h != tlog.RecordHash(leaf) {
		return Inclusion{}, fmt.Errorf("translog: poll %s: the receipt's ballot is not leaf %d of the tree", p.ID, i)
	}
	proof, err := l.public.Inclusion(i, l.cp.Size)
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
	proof, err := l.public.Consistency(m, n)
	if err != nil {
		return nil, err
	}
	return hashesBase64(proof), nil
}

// Entries reads p's log entries from sealed index from, at most n of them and none beyond the
// latest checkpoint's sealed size, and calls yield with each entry's sealed index, the entry and
// its sealed leaf bytes. It checks every leaf against the sealed tree: an entry changed in the
// store since it was sequenced is an error, never served.
func (s *Sequencer) Entries(ctx context.Context, p *vote.Poll, from, n int64, yield func(i int64, e vote.LogEntry, leaf []byte) error) error {
	l := s.log(p)
	l.mu.RLock()
	size := l.head.Sealed
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
				h, err := l.sealed.LeafHash(i)
				l.mu.RUnlock()
				if err != nil || h != tlog.RecordHash(leaf) {
					return fmt.Errorf("translog: poll %s: log entry %s is not leaf %d of the sealed tree", p.ID, e.ID, i)
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

// PublicLeaves reads p's public leaves from index from, at most n of them and none beyond the
// latest checkpoint, and calls yield with each leaf's index and bytes. A ballot's or an action's
// leaf is rebuilt from its entry in the store and checked against the public tree (as Entries
// does); a seal's comes from memory.
func (s *Sequencer) PublicLeaves(ctx context.Context, p *vote.Poll, from, n int64, yield func(i int64, leaf []byte) error) error {
	l := s.log(p)
	l.mu.RLock()
	size := l.cp.Size
	if from < 0 || from >= size || n <= 0 {
		l.mu.RUnlock()
		return nil
	}
	end := min(from+n, size)
	src := l.pubSrc[from:end:end] // appends never change what is there
	seals := l.seals[:len(l.seals):len(l.seals)]
	l.mu.RUnlock()
	// The sealed entries the ballots and actions come from, read in one pass.
	first, last := int64(-1), int64(-1)
	for _, si := range src {
		if si >= 0 {
			if first < 0 {
				first = si
			}
			last = si
		}
	}
	entries := map[int64]vote.LogEntry{}
	if first >= 0 {
		err := s.Entries(ctx, p, first, last-first+1, func(i int64, e vote.LogEntry, _ []byte) error {
			entries[i] = e
			return nil
		})
		if err != nil {
			return err
		}
	}
	for k, si := range src {
		i := from + int64(k)
		var leaf []byte
		if si < 0 {
			leaf = SealLeaf(seals[-si-1].commitment)
		} else {
			pub, _ := PublicLeafOf(entries[si])
			leaf = pub.Bytes()
		}
		l.mu.RLock()
		h, err := l.public.LeafHash(i)
		l.mu.RUnlock()
		if err != nil || h != tlog.RecordHash(leaf) {
			return fmt.Errorf("translog: poll %s: the entry of public leaf %d is not that leaf", p.ID, i)
		}
		if err := yield(i, leaf); err != nil {
			return err
		}
	}
	return nil
}

// LeafProof is one leaf with its RFC 6962 audit path (base64 hashes, leaf to root).
type LeafProof struct {
	Index  int64    `json:"index"`
	Leaf   string   `json:"leaf"` // base64 of the leaf bytes
	Hashes []string `json:"hashes"`
}

// Opening is what links a ballot's public leaf to its sealed entries once the log is open: the
// salt, the sealed tree of Size entries and Root that the Seal leaf (in the public tree of the
// proof's checkpoint) commits to, and the ballot's sealed leaf and its reviews' leaves, each with
// its audit path in that sealed tree.
type Opening struct {
	Salt    string      `json:"salt"` // hex
	Size    int64       `json:"sealed_size"`
	Root    string      `json:"sealed_root"` // base64
	Seal    LeafProof   `json:"seal"`
	Entries []LeafProof `json:"entries"` // the ballot's sealed leaf, then its reviews in log order
}

// ProveOpening returns the opening of the ballot of receipt r (inc: its public proof, from Prove),
// or ErrNotInCheckpoint when p's log is not open or the ballot is not in its latest seal.
func (s *Sequencer) ProveOpening(ctx context.Context, p *vote.Poll, r vote.Receipt, inc Inclusion) (Opening, error) {
	l := s.log(p)
	l.mu.RLock()
	open := l.sealer.Open()
	var last seal
	for j := len(l.seals) - 1; j >= 0; j-- {
		if l.seals[j].index < inc.TreeSize {
			last = l.seals[j]
			break
		}
	}
	pi, ok := l.index[r.ID]
	si := int64(-1)
	if ok {
		si = l.pubSrc[pi]
	}
	reviews := append([]int64(nil), l.reviews[r.ID]...)
	l.mu.RUnlock()
	if !open || !ok || last.sealed <= si {
		return Opening{}, ErrNotInCheckpoint
	}
	o := Opening{Salt: hex.EncodeToString(l.salt), Size: last.sealed}
	var err error
	l.mu.RLock()
	defer l.mu.RUnlock()
	root, err := l.sealed.Root(last.sealed)
	if err != nil {
		return Opening{}, err
	}
	o.Root = base64.StdEncoding.EncodeToString(root[:])
	sp, err := l.public.Inclusion(last.index, inc.TreeSize)
	if err != nil {
		return Opening{}, err
	}
	o.Seal = LeafProof{Index: last.index, Leaf: base64.StdEncoding.EncodeToString(SealLeaf(last.commitment)), Hashes: hashesBase64(sp)}
	add := func(i int64, leaf []byte) error {
		h, err := l.sealed.LeafHash(i)
		if err != nil || h != tlog.RecordHash(leaf) {
			return fmt.Errorf("translog: poll %s: entry %d is not that leaf of the sealed tree", p.ID, i)
		}
		pr, err := l.sealed.Inclusion(i, last.sealed)
		if err != nil {
			return err
		}
		o.Entries = append(o.Entries, LeafProof{Index: i, Leaf: base64.StdEncoding.EncodeToString(leaf), Hashes: hashesBase64(pr)})
		return nil
	}
	if err := add(si, SealedReceiptLeaf(r)); err != nil {
		return Opening{}, err
	}
	for _, ri := range reviews {
		if ri >= last.sealed {
			break
		}
		var leaf []byte
		l.mu.RUnlock()
		err := s.Entries(ctx, p, ri, 1, func(_ int64, _ vote.LogEntry, b []byte) error { leaf = b; return nil })
		l.mu.RLock()
		if err != nil {
			return Opening{}, err
		}
		if err := add(ri, leaf); err != nil {
			return Opening{}, err
		}
	}
	return o, nil
}
