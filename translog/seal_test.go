package translog_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

// world is a poll's log of 40 ballots (the same receipts, times and choices in every world), of
// which those held(i) were recorded held, those release(i) of them released and the others
// voided, and an organiser's trust of a subnet (a sealed action).
func world(t *testing.T, p *vote.Poll, held func(i int) bool, release func(i int) bool) *memstore.Store {
	t.Helper()
	st := memstore.New()
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 40 {
		r := fmt.Sprintf("receipt-%03d", i)
		b := vote.Ballot{Receipt: r, Voter: r, Choices: []string{string(rune('a' + i%3))}, At: at.Add(time.Duration(i) * time.Second), Held: held(i)}
		if _, err := st.Cast(ctx, p, b); err != nil {
			t.Fatal(err)
		}
		if i%7 == 6 { // the settle pass's decisions, made whatever they are
			for j := i - 6; j <= i; j++ {
				if held(j) {
					if _, err := st.Review(ctx, p, fmt.Sprintf("receipt-%03d", j), release(j), at.Add(time.Duration(i)*time.Second)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if i == 20 && held(3) {
			if err := st.LogAction(ctx, p, vote.AdminAction{Action: "trusted", Value: "203.0.113.0/24", Role: "organiser", At: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st
}

// publicLeaves sequences st and returns its public leaves, seals' commitments blanked (they are
// random strings to whoever does not hold the salt).
func publicLeaves(t *testing.T, st *memstore.Store, p *vote.Poll, key *translog.Key) []string {
	t.Helper()
	s, err := translog.New(st, key, []*vote.Poll{p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	cp, _ := s.Checkpoint(p)
	var out []string
	commitment := regexp.MustCompile(`"commitment":"[0-9a-f]{64}"`)
	err = s.PublicLeaves(context.Background(), p, 0, cp.Size, func(_ int64, leaf []byte) error {
		out = append(out, commitment.ReplaceAllString(string(leaf), `"commitment":"…"`))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPublicTreeSealsDecisions: two logs of the same ballots that differ in everything the choice
// test, the cast's signals and review decided (which ballots were held, released or voided, a
// subnet trusted) have public trees of the same size and the same leaves, but for the seals'
// commitments; no public leaf says "held", "release", "void" or "by".
func TestPublicTreeSealsDecisions(t *testing.T) {
	p := votetest.Poll(t)
	key, _ := translog.DeriveKey([]byte("test secret"), "livevote.test")
	a := publicLeaves(t, world(t, p, func(i int) bool { return i%4 == 1 }, func(i int) bool { return i%8 == 1 }), p, key)
	b := publicLeaves(t, world(t, p, func(i int) bool { return i%3 == 0 }, func(i int) bool { return false }), p, key)
	if len(a) != len(b) || len(a) != 40+40/translog.SealEvery {
		t.Fatalf("public trees of %d and %d leaves, want %d", len(a), len(b), 40+40/translog.SealEvery)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("public leaf %d differs:\n%s\n%s", i, a[i], b[i])
		}
		for _, word := range []string{`"held"`, `"release"`, `"void"`, `"by"`, `"trusted"`} {
			if bytes.Contains([]byte(a[i]), []byte(word)) {
				t.Fatalf("public leaf %d says %s: %s", i, word, a[i])
			}
		}
	}
}

// TestOpeningVerifiesIndependently: once the log is open, a reviewed ballot's opening checks with
// transparency-dev/merkle: the seal is in the public checkpoint, its commitment is the sealed root
// under the salt, and the ballot's sealed leaf and its review are in that sealed tree. Before the
// opening there is none.
func TestOpeningVerifiesIndependently(t *testing.T) {
	f := newFixture(t, 23)
	s := f.sequencer(t)
	r, _ := f.store.Receipt(context.Background(), f.poll, f.receipts[4])
	inc, err := s.Prove(f.poll, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProveOpening(context.Background(), f.poll, r, inc); !errors.Is(err, translog.ErrNotInCheckpoint) || s.Opened(f.poll) {
		t.Fatalf("an opening before the log opened: %v", err)
	}
	f.reveal(t)
	if _, err := s.Sync(context.Background(), f.poll); err != nil {
		t.Fatal(err)
	}
	if !s.Opened(f.poll) {
		t.Fatal("the reveal did not open the log")
	}
	if inc, err = s.Prove(f.poll, r); err != nil {
		t.Fatal(err)
	}
	o, err := s.ProveOpening(context.Background(), f.poll, r, inc)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := translog.OpenCheckpoint([]byte(inc.Checkpoint), s.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	hasher := rfc6962.New(crypto.SHA256)
	sealLeaf, _ := base64.StdEncoding.DecodeString(o.Seal.Leaf)
	if err := proof.VerifyInclusion(hasher, uint64(o.Seal.Index), uint64(cp.Size), hasher.HashLeaf(sealLeaf), unbase64(t, o.Seal.Hashes), cp.Root[:]); err != nil {
		t.Fatalf("the seal is not in the checkpoint: %v", err)
	}
	salt, _ := hex.DecodeString(o.Salt)
	rootBytes, _ := base64.StdEncoding.DecodeString(o.Root)
	var root tlog.Hash
	copy(root[:], rootBytes)
	if string(sealLeaf) != string(translog.SealLeaf(translog.Commitment(salt, o.Size, root))) {
		t.Fatalf("the seal %s does not commit to the sealed tree of %d entries", sealLeaf, o.Size)
	}
	if len(o.Entries) != 2 {
		t.Fatalf("opening of %d sealed entries, want the ballot and its release", len(o.Entries))
	}
	for k, want := range []string{`"type":"ballot","receipt_hash":"` + translog.ReceiptHash(f.receipts[4]), `"type":"release","receipt_hash":"` + translog.ReceiptHash(f.receipts[4])} {
		e := o.Entries[k]
		leaf, _ := base64.StdEncoding.DecodeString(e.Leaf)
		if !bytes.Contains(leaf, []byte(want)) {
			t.Errorf("sealed entry %d = %s, want %s", k, leaf, want)
		}
		if err := proof.VerifyInclusion(hasher, uint64(e.Index), uint64(o.Size), hasher.HashLeaf(leaf), unbase64(t, e.Hashes), rootBytes); err != nil {
			t.Errorf("sealed entry %d: %v", k, err)
		}
	}
	if !bytes.Contains([]byte(mustLeaf(t, o.Entries[0].Leaf)), []byte(`"held":true`)) {
		t.Errorf("the ballot's sealed leaf does not say it was held: %s", mustLeaf(t, o.Entries[0].Leaf))
	}
}

func mustLeaf(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
