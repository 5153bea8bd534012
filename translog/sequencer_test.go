package translog_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// fixture is a memory store with a poll holding some ballots, reviews and an organiser action.
type fixture struct {
	store    *memstore.Store
	poll     *vote.Poll
	key      *translog.Key
	receipts []string
}

func newFixture(t *testing.T, ballots int) *fixture {
	t.Helper()
	return newFixtureWith(t, votetest.Poll(t, "max_choices: 2"), ballots, func(i int) bool { return i == 4 })
}

// newFixtureWith is newFixture of poll p, where the review of the held ballot i releases it when
// release(i) (the fixture reviews ballots 4 and 9).
func newFixtureWith(t *testing.T, p *vote.Poll, ballots int, release func(i int) bool) *fixture {
	t.Helper()
	f := &fixture{store: memstore.New(), poll: p}
	var err error
	if f.key, err = translog.DeriveKey([]byte("test secret"), "livevote.test"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	choices := [][]string{{"a"}, {"b", "c"}, {"c"}, {"a", "b"}}
	for i := range ballots {
		r := fmt.Sprintf("receipt-%03d", i)
		b := vote.Ballot{Receipt: r, Voter: fmt.Sprintf("voter-%d", i), Choices: choices[i%len(choices)],
			At: at.Add(time.Duration(i) * time.Millisecond), Held: i%5 == 4}
		if _, err := f.store.Cast(ctx, f.poll, b); err != nil {
			t.Fatal(err)
		}
		f.receipts = append(f.receipts, r)
		if i == 2 {
			if err := f.store.LogAction(ctx, f.poll, vote.AdminAction{Action: "results", Value: "live", Role: "operator", At: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ballots > 9 {
		for _, i := range []int{4, 9} {
			if _, err := f.store.Review(ctx, f.poll, f.receipts[i], release(i), at.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

func (f *fixture) sequencer(t *testing.T) *translog.Sequencer {
	t.Helper()
	s, err := translog.New(f.store, f.key, []*vote.Poll{f.poll})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(context.Background(), f.poll); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProofsVerifyIndependently(t *testing.T) {
	f := newFixture(t, 23)
	s := f.sequencer(t)
	cp, signed := s.Checkpoint(f.poll)
	// 23 ballots, the action (a public one), a seal after it and one after the 16th ballot; the
	// two reviews are sealed.
	if want := int64(23 + 1 + 2); cp.Size != want {
		t.Fatalf("checkpoint of %d entries, want %d", cp.Size, want)
	}
	opened, err := translog.OpenCheckpoint(signed, s.VerifierKey())
	if err != nil || opened != cp {
		t.Fatalf("the signed checkpoint opens as %+v, %v; want %+v", opened, err, cp)
	}
	if cp.Origin != "livevote.test/"+f.poll.ID {
		t.Errorf("origin %q", cp.Origin)
	}
	hasher := rfc6962.New(crypto.SHA256)
	for _, id := range f.receipts {
		r, err := f.store.Receipt(context.Background(), f.poll, id)
		if err != nil {
			t.Fatal(err)
		}
		inc, err := s.Prove(f.poll, r)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Checkpoint != string(signed) || inc.TreeSize != cp.Size {
			t.Fatalf("proof of %s against another checkpoint", id)
		}
		leaf, _ := base64.StdEncoding.DecodeString(inc.Leaf)
		if !strings.Contains(string(leaf), translog.ReceiptHash(id)) || strings.Contains(string(leaf), id) {
			t.Fatalf("leaf of %s: %s", id, leaf)
		}
		err = proof.VerifyInclusion(hasher, uint64(inc.Index), uint64(inc.TreeSize), hasher.HashLeaf(leaf), unbase64(t, inc.Hashes), cp.Root[:])
		if err != nil {
			t.Fatalf("proof of %s: %v", id, err)
		}
	}
	// Consistency from a checkpoint kept earlier to the latest one.
	for m := int64(1); m <= cp.Size; m++ {
		hs, err := s.Consistency(f.poll, m, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) == 0 && m != cp.Size {
			t.Fatalf("empty consistency proof %d -> %d", m, cp.Size)
		}
	}
	if _, err := s.Consistency(f.poll, 1, cp.Size+1); !errors.Is(err, translog.ErrNotInCheckpoint) {
		t.Errorf("consistency beyond the checkpoint: %v", err)
	}
}

func TestLaterCheckpointsAreConsistentWithEarlier(t *testing.T) {
	f := newFixture(t, 7)
	s := f.sequencer(t)
	old, oldSigned := s.Checkpoint(f.poll)
	ctx := context.Background()
	for i := range 30 {
		b := vote.Ballot{Receipt: fmt.Sprintf("later-%d", i), Voter: fmt.Sprintf("later-%d", i), Choices: []string{"b"}, At: time.Now()}
		if _, err := f.store.Cast(ctx, f.poll, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Sync(ctx, f.poll); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.Checkpoint(f.poll)
	again, err := s.CheckpointAt(f.poll, old.Size)
	if err != nil || string(again) != string(oldSigned) {
		t.Fatalf("the checkpoint at %d signed again: %v\n%s\nwant\n%s", old.Size, err, again, oldSigned)
	}
	if _, err := s.CheckpointAt(f.poll, cur.Size+1); !errors.Is(err, translog.ErrNotInCheckpoint) {
		t.Errorf("a checkpoint beyond the tree: %v", err)
	}
	hs, err := s.Consistency(f.poll, old.Size, cur.Size)
	if err != nil {
		t.Fatal(err)
	}
	hasher := rfc6962.New(crypto.SHA256)
	if err := proof.VerifyConsistency(hasher, uint64(old.Size), uint64(cur.Size), unbase64(t, hs), old.Root[:], cur.Root[:]); err != nil {
		t.Fatalf("consistency %d -> %d: %v", old.Size, cur.Size, err)
	}
}

func TestPendingUntilSequenced(t *testing.T) {
	f := newFixture(t, 3)
	s, err := translog.New(f.store, f.key, []*vote.Poll{f.poll})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := f.store.Receipt(context.Background(), f.poll, f.receipts[0])
	if _, err := s.Prove(f.poll, r); !errors.Is(err, translog.ErrNotInCheckpoint) {
		t.Fatalf("proof before the log was read: %v", err)
	}
	if cp, _ := s.Checkpoint(f.poll); cp.Size != 0 {
		t.Fatalf("checkpoint of %d before the log was read", cp.Size)
	}
	if _, err := s.Sync(context.Background(), f.poll); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prove(f.poll, r); err != nil {
		t.Fatal(err)
	}
}

// Two instances (two sequencers on one store, each with the key derived from the same secret)
// sign byte-identical checkpoints; a restarted one rebuilds the same.
func TestCheckpointsEqualAcrossSequencers(t *testing.T) {
	f := newFixture(t, 12)
	a, b := f.sequencer(t), f.sequencer(t)
	_, sa := a.Checkpoint(f.poll)
	_, sb := b.Checkpoint(f.poll)
	if string(sa) != string(sb) {
		t.Fatalf("two instances signed\n%s\nand\n%s", sa, sb)
	}
}

func TestDeriveKey(t *testing.T) {
	k1, err := translog.DeriveKey([]byte("s1"), "livevote")
	if err != nil {
		t.Fatal(err)
	}
	k1again, _ := translog.DeriveKey([]byte("s1"), "livevote")
	k2, _ := translog.DeriveKey([]byte("s2"), "livevote")
	if k1.VerifierKey() != k1again.VerifierKey() || k1.VerifierKey() == k2.VerifierKey() {
		t.Fatalf("keys: %s, %s, %s", k1.VerifierKey(), k1again.VerifierKey(), k2.VerifierKey())
	}
	cp := translog.Checkpoint{Origin: "livevote/p", Size: 3}
	signed, err := k1.Sign(cp)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(k1.VerifierKey())
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil || n.Text != cp.Text() {
		t.Fatalf("note.Open: %v, %+v", err, n)
	}
	if _, err := translog.OpenCheckpoint(signed, k2.VerifierKey()); err == nil {
		t.Error("a checkpoint opened with another key")
	}
	if _, err := translog.DeriveKey(nil, "livevote"); err == nil {
		t.Error("a key from an empty secret")
	}
}

// rewritten is a store whose log, once rewrite is set, says another choice for every ballot.
type rewritten struct {
	*memstore.Store
	rewrite bool
}

func (r *rewritten) Log(ctx context.Context, p *vote.Poll, after string, limit int) ([]vote.LogEntry, error) {
	entries, err := r.Store.Log(ctx, p, after, limit)
	for i := range entries {
		if r.rewrite && entries[i].Choices != nil {
			entries[i].Choices = []string{"c"}
		}
	}
	return entries, err
}

// TestEntriesRefuseARewrittenLog: a log changed in the store after it was sequenced is never
// served as the tree's leaves.
func TestEntriesRefuseARewrittenLog(t *testing.T) {
	f := newFixture(t, 5)
	store := &rewritten{Store: f.store}
	s, err := translog.New(store, f.key, []*vote.Poll{f.poll})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(context.Background(), f.poll); err != nil {
		t.Fatal(err)
	}
	read := func() error {
		return s.Entries(context.Background(), f.poll, 0, 100, func(int64, vote.LogEntry, []byte) error { return nil })
	}
	if err := read(); err != nil {
		t.Fatalf("the log as sequenced: %v", err)
	}
	store.rewrite = true
	if err := read(); err == nil || !strings.Contains(err.Error(), "is not leaf 0 of the sealed tree") {
		t.Fatalf("a rewritten log read as: %v", err)
	}
}

// flaky is a log source that fails its first fails reads.
type flaky struct {
	*memstore.Store
	mu    sync.Mutex
	fails int
}

func (f *flaky) Log(ctx context.Context, p *vote.Poll, after string, limit int) ([]vote.LogEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return nil, vote.ErrUnavailable
	}
	return f.Store.Log(ctx, p, after, limit)
}

// TestRunReportsAnOutageOnce: a store that fails several reads in a row is reported once, and
// once again when it answers; the tree then catches up.
func TestRunReportsAnOutageOnce(t *testing.T) {
	f := newFixture(t, 4)
	src := &flaky{Store: f.store, fails: 5}
	s, err := translog.New(src, f.key, []*vote.Poll{f.poll})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reports := make(chan error, 10)
	done := make(chan struct{})
	go func() {
		s.Run(ctx, time.Millisecond, func(_ *vote.Poll, err error) { reports <- err })
		close(done)
	}()
	first, second := <-reports, <-reports
	cancel()
	<-done
	if !errors.Is(first, vote.ErrUnavailable) || second != nil || len(reports) != 0 {
		t.Fatalf("reports: %v, %v and %d more", first, second, len(reports))
	}
	if h := s.Head(f.poll); h.Size != 6 || h.Sealed != 5 {
		t.Errorf("after the outage the trees have %+v entries, want 6 public (4 ballots, an action, its seal) and 5 sealed", h)
	}
}

// TestEntriesFromAnyIndex: reading sealed or public leaves from any index (past the kept store
// positions) gives the same leaves as reading the whole log.
func TestEntriesFromAnyIndex(t *testing.T) {
	f := newFixture(t, 2345)
	s := f.sequencer(t)
	cp, _ := s.Checkpoint(f.poll)
	readPublic := func(from, n int64) []string {
		var out []string
		err := s.PublicLeaves(context.Background(), f.poll, from, n, func(i int64, leaf []byte) error {
			if want := from + int64(len(out)); i != want {
				t.Fatalf("public leaf index %d, want %d", i, want)
			}
			out = append(out, string(leaf))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	allPublic := readPublic(0, cp.Size+10)
	if int64(len(allPublic)) != cp.Size {
		t.Fatalf("%d public leaves, checkpoint %d", len(allPublic), cp.Size)
	}
	for _, r := range [][2]int64{{999, 3}, {1000, 1}, {1500, 1000}, {2340, 100}, {cp.Size, 5}} {
		got := readPublic(r[0], r[1])
		want := allPublic[min(r[0], cp.Size):min(r[0]+r[1], cp.Size)]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("public from %d, %d: %d leaves differ from the whole log's", r[0], r[1], len(got))
		}
	}
	cp.Size = s.Head(f.poll).Sealed
	read := func(from, n int64) []string {
		var out []string
		err := s.Entries(context.Background(), f.poll, from, n, func(i int64, _ vote.LogEntry, leaf []byte) error {
			if want := from + int64(len(out)); i != want {
				t.Fatalf("leaf index %d, want %d", i, want)
			}
			out = append(out, string(leaf))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := read(0, cp.Size+10)
	if int64(len(all)) != cp.Size {
		t.Fatalf("%d leaves, checkpoint %d", len(all), cp.Size)
	}
	for _, r := range [][2]int64{{999, 3}, {1000, 1}, {1500, 1000}, {2340, 100}, {cp.Size, 5}} {
		got := read(r[0], r[1])
		want := all[min(r[0], cp.Size):min(r[0]+r[1], cp.Size)]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("from %d, %d: %d leaves differ from the whole log's", r[0], r[1], len(got))
		}
	}
}
