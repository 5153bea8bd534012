package translog

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/livevote/livevote/vote"
)

// Export is what VerifyExport reads of a poll's JSON export; other fields are ignored.
type Export struct {
	Poll       string           `json:"poll"`
	Ballots    int64            `json:"ballots"`
	Held       int64            `json:"held"`
	Void       *int64           `json:"void"` // ballots voided by review (required: every figure is checked)
	Tally      map[string]int64 `json:"tally"`
	Checkpoint string           `json:"checkpoint"`
	TreeSize   *int64           `json:"tree_size"`
	Leaves     []string         `json:"leaves"` // the public tree's leaves, base64, in order
	// The sealed tree (seal.go): its salt (hex), size and leaves (base64, in log order), and the
	// readable rows of the log, one per sealed leaf (vote.LogEntry as JSON).
	Salt         string            `json:"salt"`
	SealedSize   *int64            `json:"sealed_size"`
	SealedLeaves []string          `json:"sealed_leaves"`
	Log          []json.RawMessage `json:"log"`
}

// Verified is what VerifyExport established.
type Verified struct {
	Checkpoint Checkpoint
	Count      vote.Count // the recount of the sealed leaves
	Void       int64      // the ballots voided by review
	Sealed     int64      // sealed entries
	Committed  int64      // of them, those a seal in the checkpoint's tree commits to
}

// VerifyExport checks an export offline, in order: the checkpoint's signature against the note
// verifier key vkey; that the checkpoint is the log of the export's poll (its origin ends in
// "/<poll>"); that tree_size is the checkpoint's size and there are as many public leaves; that
// sealed_size is the number of sealed leaves and of log rows; then, entry by entry in log order,
// that each log row is exactly its sealed leaf, each sealed leaf an entry, and that replaying the
// sealed leaves under the salt (seal.go) gives exactly the public leaves, every seal's commitment
// included; that the public leaves rebuild the checkpoint's root; that recounting the sealed
// leaves gives the export's ballots, held, void (when it says) and tally; and, for each earlier signed checkpoint given
// in kept (one somebody kept: from the big screen, a page, an earlier export), that the export's
// public tree extends it. Since every seal commits to the sealed tree before it, a sealed entry
// changed after a checkpoint was kept fails the last check. The error names the first entry (by
// index), row, figure or kept checkpoint that fails.
func VerifyExport(data []byte, vkey string, kept ...[]byte) (Verified, error) {
	var x Export
	if err := json.Unmarshal(data, &x); err != nil {
		return Verified{}, fmt.Errorf("not a JSON export: %w", err)
	}
	if x.Checkpoint == "" || x.Leaves == nil || x.Tally == nil || x.TreeSize == nil {
		return Verified{}, fmt.Errorf("the export has no checkpoint, tree_size, leaves or tally")
	}
	if x.SealedLeaves == nil || x.SealedSize == nil || x.Log == nil {
		return Verified{}, fmt.Errorf("the export has no sealed_leaves, sealed_size or log")
	}
	salt, err := hex.DecodeString(x.Salt)
	if err != nil || len(salt) == 0 {
		return Verified{}, fmt.Errorf("salt: not hex")
	}
	cp, err := OpenCheckpoint([]byte(x.Checkpoint), vkey)
	if err != nil {
		return Verified{}, err
	}
	if !strings.HasSuffix(cp.Origin, "/"+x.Poll) {
		return Verified{}, fmt.Errorf("the checkpoint is of log %q, not of poll %q", cp.Origin, x.Poll)
	}
	if *x.TreeSize != cp.Size {
		return Verified{}, fmt.Errorf("tree_size: the export says %d, its checkpoint %d", *x.TreeSize, cp.Size)
	}
	if int64(len(x.Leaves)) != cp.Size {
		return Verified{}, fmt.Errorf("the export has %d leaves, its checkpoint %d", len(x.Leaves), cp.Size)
	}
	if *x.SealedSize != int64(len(x.SealedLeaves)) {
		return Verified{}, fmt.Errorf("sealed_size: the export says %d, it has %d sealed leaves", *x.SealedSize, len(x.SealedLeaves))
	}
	if len(x.Log) != len(x.SealedLeaves) {
		return Verified{}, fmt.Errorf("log: the export has %d rows, %d sealed leaves", len(x.Log), len(x.SealedLeaves))
	}
	candidates := make([]vote.Candidate, 0, len(x.Tally))
	for _, id := range slices.Sorted(maps.Keys(x.Tally)) {
		candidates = append(candidates, vote.Candidate{ID: id})
	}
	rc := vote.NewRecount(&vote.Poll{ID: x.Poll, Candidates: candidates})
	v := Verified{Checkpoint: cp, Sealed: int64(len(x.SealedLeaves))}
	var sealed, public Tree
	var sealer Sealer
	next := 0 // the next public leaf the replay must give
	want := func(leaf []byte, what string, i int) error {
		if next >= len(x.Leaves) {
			return fmt.Errorf("sealed entry %d: it gives public leaf %d (%s), beyond the checkpoint's %d", i, next, what, cp.Size)
		}
		if got, err := base64.StdEncoding.DecodeString(x.Leaves[next]); err != nil || string(got) != string(leaf) {
			return fmt.Errorf("public leaf %d: not the %s that sealed entry %d gives (entries changed, removed, reordered, or the salt wrong)", next, what, i)
		}
		if _, err := public.Append(leaf); err != nil {
			return err
		}
		next++
		return nil
	}
	seen := map[string]bool{}
	for i, s := range x.SealedLeaves {
		leaf, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Verified{}, fmt.Errorf("sealed entry %d: not base64: %w", i, err)
		}
		e, err := ParseLeaf(leaf)
		if err != nil {
			return Verified{}, fmt.Errorf("sealed entry %d: %w", i, err)
		}
		var row vote.LogEntry
		if err := json.Unmarshal(x.Log[i], &row); err != nil {
			return Verified{}, fmt.Errorf("log row %d: %w", i, err)
		}
		if string(EntryBytes(row)) != string(leaf) {
			return Verified{}, fmt.Errorf("log row %d (id %q): it says other than sealed entry %d", i, row.ID, i)
		}
		if e.State == vote.BallotCounted || e.State == vote.BallotHeld {
			if seen[e.Receipt] {
				return Verified{}, fmt.Errorf("sealed entry %d: a second ballot with receipt hash %s", i, e.Receipt)
			}
			seen[e.Receipt] = true
		}
		for _, c := range e.Choices {
			if _, ok := x.Tally[c]; !ok && e.State != vote.LogAdmin {
				return Verified{}, fmt.Errorf("sealed entry %d: choice %q is not in the export's tally", i, c)
			}
		}
		unmatched := rc.Unmatched
		rc.Add(e)
		if rc.Unmatched != unmatched {
			return Verified{}, fmt.Errorf("sealed entry %d: a review of a ballot that is not awaiting review", i)
		}
		if e.State == vote.BallotVoid {
			v.Void++
		}
		if _, err := sealed.Append(leaf); err != nil {
			return Verified{}, err
		}
		// The public leaves this entry gives: the replay needs the entry as the store has it,
		// which the sealed leaf is (receipt hash in place of the receipt: the public leaf hashes
		// the receipt, so give it the row's).
		e.Receipt = row.Receipt
		pub, ok, sealNow := sealer.Next(e, LeafOf(e))
		if ok {
			if err := want(pub.Bytes(), pub.Type, i); err != nil {
				return Verified{}, err
			}
		}
		if sealNow {
			root, err := sealed.Root(sealed.Size())
			if err != nil {
				return Verified{}, err
			}
			if err := want(SealLeaf(Commitment(salt, sealed.Size(), root)), "seal", i); err != nil {
				return Verified{}, err
			}
			v.Committed = sealed.Size()
		}
	}
	if next != len(x.Leaves) {
		return Verified{}, fmt.Errorf("the sealed entries give %d public leaves, the checkpoint has %d", next, cp.Size)
	}
	root, err := public.Root(public.Size())
	if err != nil {
		return Verified{}, err
	}
	if root != cp.Root {
		return Verified{}, fmt.Errorf("the %d leaves do not rebuild the checkpoint's root (entries changed, reordered or replaced)", cp.Size)
	}
	for _, k := range kept {
		old, err := OpenCheckpoint(k, vkey)
		if err != nil {
			return Verified{}, fmt.Errorf("the kept checkpoint: %w", err)
		}
		if old.Origin != cp.Origin || old.Size > cp.Size {
			return Verified{}, fmt.Errorf("the kept checkpoint (%s, %d entries) is not of this log up to %d entries", old.Origin, old.Size, cp.Size)
		}
		if root, err := public.Root(old.Size); err != nil || root != old.Root {
			return Verified{}, fmt.Errorf("the export's log does not extend the kept checkpoint of %d entries: its first %d entries were changed", old.Size, old.Size)
		}
	}
	if rc.Ballots != x.Ballots {
		return Verified{}, fmt.Errorf("ballots: the export says %d, the leaves count %d", x.Ballots, rc.Ballots)
	}
	if rc.Held != x.Held {
		return Verified{}, fmt.Errorf("held: the export says %d, the leaves count %d", x.Held, rc.Held)
	}
	if x.Void == nil {
		return Verified{}, errors.New("void: the export has no void count")
	}
	if *x.Void != v.Void {
		return Verified{}, fmt.Errorf("void: the export says %d, the leaves count %d", *x.Void, v.Void)
	}
	for _, id := range slices.Sorted(maps.Keys(x.Tally)) {
		if rc.Tally[id] != x.Tally[id] {
			return Verified{}, fmt.Errorf("tally[%s]: the export says %d, the leaves count %d", id, x.Tally[id], rc.Tally[id])
		}
	}
	v.Count = rc.Count
	return v, nil
}
