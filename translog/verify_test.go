package translog_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
)

// export builds the fields of a JSON export that verify reads: the counters of the store, the
// latest checkpoint and the leaves read back from the store.
func export(t *testing.T, f *fixture, s *translog.Sequencer) translog.Export {
	t.Helper()
	snap, err := f.store.Snapshot(context.Background(), f.poll, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cp, signed := s.Checkpoint(f.poll)
	x := translog.Export{Poll: f.poll.ID, Ballots: snap.Ballots, Held: snap.Held, Tally: snap.Tally, Checkpoint: string(signed), Leaves: []string{}}
	err = s.Entries(context.Background(), f.poll, 0, cp.Size, func(_ int64, _ vote.LogEntry, leaf []byte) error {
		x.Leaves = append(x.Leaves, base64.StdEncoding.EncodeToString(leaf))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func verify(t *testing.T, x translog.Export, vkey string) error {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	_, err = translog.VerifyExport(b, vkey)
	return err
}

func TestVerifyExport(t *testing.T) {
	f := newFixture(t, 23)
	s := f.sequencer(t)
	good := export(t, f, s)
	vkey := s.VerifierKey()
	if err := verify(t, good, vkey); err != nil {
		t.Fatalf("an untouched export: %v", err)
	}
	leaf := func(x translog.Export, i int) string {
		b, _ := base64.StdEncoding.DecodeString(x.Leaves[i])
		return string(b)
	}
	clone := func() translog.Export {
		x := good
		x.Leaves = append([]string{}, good.Leaves...)
		x.Tally = map[string]int64{}
		for k, v := range good.Tally {
			x.Tally[k] = v
		}
		return x
	}
	// Another poll's log, signed by the same key.
	other := newFixture(t, 23)
	otherExport := export(t, other, other.sequencer(t))

	for _, tc := range []struct {
		name   string
		change func(x *translog.Export)
		want   string
	}{
		{"a choice changed", func(x *translog.Export) {
			x.Leaves[0] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(leaf(*x, 0), `["a"]`, `["b"]`, 1)))
		}, "root"},
		{"an entry removed", func(x *translog.Export) { x.Leaves = append(x.Leaves[:5], x.Leaves[6:]...) }, "leaves"},
		{"two entries swapped", func(x *translog.Export) { x.Leaves[1], x.Leaves[2] = x.Leaves[2], x.Leaves[1] }, "root"},
		{"a checkpoint of another log", func(x *translog.Export) { x.Checkpoint = otherExport.Checkpoint }, "not of poll"},
		{"another log's checkpoint and leaves", func(x *translog.Export) {
			x.Checkpoint, x.Leaves = otherExport.Checkpoint, otherExport.Leaves
		}, "not of poll"},
		{"a tally changed", func(x *translog.Export) { x.Tally["a"]++ }, "tally[a]"},
		{"the ballots changed", func(x *translog.Export) { x.Ballots-- }, "ballots"},
		{"the signature broken", func(x *translog.Export) {
			x.Checkpoint = strings.Replace(x.Checkpoint, "\n\n", "\n\n\u2014 livevote.test AAAA", 1)
		}, "signature"},
		{"an entry not JSON", func(x *translog.Export) { x.Leaves[3] = base64.StdEncoding.EncodeToString([]byte("{")) }, "entry 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := clone()
			tc.change(&x)
			err := verify(t, x, vkey)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
	// A checkpoint somebody kept earlier: the export extends it; a rewritten history does not.
	b, _ := json.Marshal(good)
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
		if err := fork.Cast(context.Background(), f.poll, vote.Ballot{Receipt: r, Voter: r, Choices: []string{"c"}, At: time.Now()}); err != nil {
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
	if err := verify(t, good, otherExport.Checkpoint[:0]+"livevote.test+00000000+AQ"); err == nil {
		t.Error("verified with a broken key")
	}
}
