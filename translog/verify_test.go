package translog_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
)

// export builds the fields of a JSON export that verify reads, as the server does: the counters
// of the store, the latest checkpoint, the public leaves, and the sealed leaves, rows and salt.
func export(t *testing.T, f *fixture, s *translog.Sequencer) translog.Export {
	t.Helper()
	snap, err := f.store.Snapshot(context.Background(), f.poll, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cp, signed := s.Checkpoint(f.poll)
	head := s.Head(f.poll)
	x := translog.Export{Poll: f.poll.ID, Ballots: snap.Ballots, Held: snap.Held, Void: &head.Void, Tally: snap.Tally, Checkpoint: string(signed),
		TreeSize: &cp.Size, Leaves: []string{}, Salt: hex.EncodeToString(s.Salt(f.poll)), SealedSize: &head.Sealed,
		SealedLeaves: []string{}, Log: []json.RawMessage{}}
	err = s.PublicLeaves(context.Background(), f.poll, 0, cp.Size, func(_ int64, leaf []byte) error {
		x.Leaves = append(x.Leaves, base64.StdEncoding.EncodeToString(leaf))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Entries(context.Background(), f.poll, 0, head.Sealed, func(_ int64, e vote.LogEntry, leaf []byte) error {
		x.SealedLeaves = append(x.SealedLeaves, base64.StdEncoding.EncodeToString(leaf))
		row, _ := json.Marshal(e)
		x.Log = append(x.Log, row)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// reveal logs a reveal as the server does: the results revealed (a staged reveal starts), then
// the statement of the whole result once the stage has shown it, the action that opens the
// fixture's log (translog.Opens).
func (f *fixture) reveal(t *testing.T) {
	t.Helper()
	at := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	for _, a := range []vote.AdminAction{
		{Action: "results", Value: string(vote.ResultsRevealed), Role: "operator", At: at},
		{Action: "statement", Value: `{"counted":0,"held":0,"tally":{}}`, Role: "operator", At: at.Add(time.Minute)},
	} {
		if err := f.store.LogAction(context.Background(), f.poll, a); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyExport: an export after the reveal verifies; each change of it is named.
func TestVerifyExport(t *testing.T) {
	f := newFixture(t, 23)
	f.reveal(t)
	s := f.sequencer(t)
	good := export(t, f, s)
	vkey := s.VerifierKey()
	v, err := translog.VerifyExport(mustJSON(t, good), vkey)
	if err != nil {
		t.Fatalf("an untouched export: %v", err)
	}
	if v.Sealed != 28 || v.Committed != 28 || v.Void != 1 || v.Count.Held != 2 {
		t.Errorf("verified %+v: want 28 sealed entries (the reveal and its statement last), all under a seal, 1 void, 2 held", v)
	}
	sealed := func(x translog.Export, i int) string {
		b, _ := base64.StdEncoding.DecodeString(x.SealedLeaves[i])
		return string(b)
	}
	setSealed := func(x *translog.Export, i int, leaf string) {
		x.SealedLeaves[i] = base64.StdEncoding.EncodeToString([]byte(leaf))
	}
	editRow := func(x *translog.Export, i int, edit func(e *vote.LogEntry)) {
		var e vote.LogEntry
		if err := json.Unmarshal(x.Log[i], &e); err != nil {
			t.Fatal(err)
		}
		edit(&e)
		x.Log[i], _ = json.Marshal(e)
	}
	clone := func() translog.Export {
		x := good
		x.Leaves = append([]string{}, good.Leaves...)
		x.SealedLeaves = append([]string{}, good.SealedLeaves...)
		x.Log = append([]json.RawMessage{}, good.Log...)
		x.Tally = maps.Clone(good.Tally)
		size, sealedSize, void := *good.TreeSize, *good.SealedSize, *good.Void
		x.TreeSize, x.SealedSize, x.Void = &size, &sealedSize, &void
		return x
	}
	// the sealed index of the review of receipt 4 (a release) and of receipt 9 (a void)
	review := func(typ string) int {
		for i := range good.SealedLeaves {
			if strings.Contains(sealed(good, i), `"type":"`+typ+`"`) {
				return i
			}
		}
		t.Fatalf("no %s in the fixture", typ)
		return 0
	}
	release := review("release")
	// Another poll's log, signed by the same key.
	other := newFixture(t, 23)
	other.reveal(t)
	otherExport := export(t, other, other.sequencer(t))

	for _, tc := range []struct {
		name   string
		change func(x *translog.Export)
		want   string
	}{
		{"a choice changed (leaf and row)", func(x *translog.Export) {
			setSealed(x, 0, strings.Replace(sealed(*x, 0), `["a"]`, `["b"]`, 1))
			editRow(x, 0, func(e *vote.LogEntry) { e.Choices = []string{"b"} })
		}, "public leaf 0"},
		{"a choice changed in the public leaf only", func(x *translog.Export) {
			b, _ := base64.StdEncoding.DecodeString(x.Leaves[0])
			x.Leaves[0] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(b), `["a"]`, `["b"]`, 1)))
		}, "public leaf 0"},
		{"an entry removed", func(x *translog.Export) {
			x.SealedLeaves = append(x.SealedLeaves[:5], x.SealedLeaves[6:]...)
			x.Log = append(x.Log[:5], x.Log[6:]...)
			*x.SealedSize--
		}, "public leaf"},
		{"two entries swapped", func(x *translog.Export) {
			x.SealedLeaves[1], x.SealedLeaves[2] = x.SealedLeaves[2], x.SealedLeaves[1]
			x.Log[1], x.Log[2] = x.Log[2], x.Log[1]
		}, "public leaf 1"},
		{"a settlement swapped after the reveal (release for void)", func(x *translog.Export) {
			setSealed(x, release, strings.Replace(sealed(*x, release), `"type":"release"`, `"type":"void"`, 1))
			editRow(x, release, func(e *vote.LogEntry) { e.State = vote.BallotVoid })
		}, "not the seal"},
		{"a readable row edited", func(x *translog.Export) {
			editRow(x, 7, func(e *vote.LogEntry) { e.Choices = []string{"a"} })
		}, "log row 7"},
		{"a readable row's receipt edited", func(x *translog.Export) {
			editRow(x, release, func(e *vote.LogEntry) { e.Receipt = f.receipts[5] })
		}, fmt.Sprintf("log row %d", release)},
		{"tree_size edited", func(x *translog.Export) { *x.TreeSize-- }, "tree_size"},
		{"sealed_size edited", func(x *translog.Export) { *x.SealedSize++ }, "sealed_size"},
		{"the salt changed", func(x *translog.Export) { x.Salt = "00" + x.Salt[2:] }, "not the seal"},
		{"a checkpoint of another log", func(x *translog.Export) { x.Checkpoint = otherExport.Checkpoint }, "not of poll"},
		{"another log's checkpoint and leaves", func(x *translog.Export) {
			x.Checkpoint, x.Leaves, x.SealedLeaves, x.Log = otherExport.Checkpoint, otherExport.Leaves, otherExport.SealedLeaves, otherExport.Log
		}, "not of poll"},
		{"a tally changed", func(x *translog.Export) { x.Tally["a"]++ }, "tally[a]"},
		{"the ballots changed", func(x *translog.Export) { x.Ballots-- }, "ballots"},
		{"the held changed", func(x *translog.Export) { x.Held++ }, "held"},
		{"the void changed", func(x *translog.Export) { *x.Void = 0 }, "void"},
		{"the void count removed", func(x *translog.Export) { x.Void = nil }, "void"},
		{"the signature broken", func(x *translog.Export) {
			x.Checkpoint = strings.Replace(x.Checkpoint, "\n\n", "\n\n\u2014 livevote.test AAAA", 1)
		}, "signature"},
		{"an entry not JSON", func(x *translog.Export) { x.SealedLeaves[3] = base64.StdEncoding.EncodeToString([]byte("{")) }, "sealed entry 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := clone()
			tc.change(&x)
			_, err := translog.VerifyExport(mustJSON(t, x), vkey)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
	// A checkpoint somebody kept earlier: the export extends it; a rewritten history does not.
	b := mustJSON(t, good)
	early, err := s.CheckpointAt(f.poll, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := translog.VerifyExport(b, vkey, early); err != nil {
		t.Errorf("an export that extends a kept checkpoint: %v", err)
	}
	if _, err := translog.VerifyExport(b, vkey, []byte(otherExport.Checkpoint)); err == nil || !strings.Contains(err.Error(), "not of this log") {
		t.Errorf("a kept checkpoint of another log: %v", err)
	}
	// Another history of the same poll, signed by the same key (a fork).
	fork := memstore.New()
	for i := range 12 {
		r := fmt.Sprintf("fork-%d", i)
		if _, err := fork.Cast(context.Background(), f.poll, vote.Ballot{Receipt: r, Voter: r, Choices: []string{"c"}, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	fs, _ := translog.New(fork, f.key, []*vote.Poll{f.poll})
	if _, err := fs.Sync(context.Background(), f.poll); err != nil {
		t.Fatal(err)
	}
	forked, _ := fs.CheckpointAt(f.poll, 10)
	if _, err := translog.VerifyExport(b, vkey, forked); err == nil || !strings.Contains(err.Error(), "does not extend the kept checkpoint of 10 entries") {
		t.Errorf("an export that does not extend a kept checkpoint: %v", err)
	}
	if _, err := translog.VerifyExport(b, otherExport.Checkpoint[:0]+"livevote.test+00000000+AQ"); err == nil {
		t.Error("verified with a broken key")
	}
}

// TestVerifyCatchesAResignedSettlementSwap: the key holder swaps a settlement after the reveal
// and signs the new history (the same ballots, one release made a void): the forged export
// verifies on its own, but not against the checkpoint somebody kept at the reveal, because the
// seal that followed the reveal committed to the release.
func TestVerifyCatchesAResignedSettlementSwap(t *testing.T) {
	honest := newFixture(t, 23)
	honest.reveal(t)
	hs := honest.sequencer(t)
	kept, _ := hs.Checkpoint(honest.poll)
	_, keptSigned := hs.Checkpoint(honest.poll)

	forged := newFixtureWith(t, honest.poll, 23, func(int) bool { return false }) // receipt 4 voided, not released
	forged.reveal(t)
	fsq := forged.sequencer(t)
	x := export(t, forged, fsq)
	b := mustJSON(t, x)
	if _, err := translog.VerifyExport(b, fsq.VerifierKey()); err != nil {
		t.Fatalf("the forged export alone: %v", err)
	}
	if _, err := translog.VerifyExport(b, fsq.VerifierKey(), keptSigned); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("kept checkpoint of %d entries", kept.Size)) {
		t.Fatalf("the forged export against the checkpoint kept at the reveal: %v", err)
	}
}

func mustJSON(t *testing.T, x translog.Export) []byte {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
