package translog

import (
	"encoding/base64"
	"encoding/json"
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
	Tally      map[string]int64 `json:"tally"`
	Checkpoint string           `json:"checkpoint"`
	Leaves     []string         `json:"leaves"` // base64 leaf bytes, in log order
}

// Verified is what VerifyExport established.
type Verified struct {
	Checkpoint Checkpoint
	Count      vote.Count // the recount of the leaves
}

// VerifyExport checks an export offline, in order: the checkpoint's signature against the note
// verifier key vkey; that the checkpoint is the log of the export's poll (its origin ends in
// "/<poll>"); that there are exactly as many leaves as the checkpoint's size and each is an
// entry; that the leaves rebuild the checkpoint's root; and that recounting them gives the
// export's ballots, held and tally; and, for each earlier signed checkpoint given in kept (one
// somebody kept: from the big screen, a page, an earlier export), that the export's log extends
// it. The error names the first entry (by leaf index), figure or kept checkpoint that fails.
func VerifyExport(data []byte, vkey string, kept ...[]byte) (Verified, error) {
	var x Export
	if err := json.Unmarshal(data, &x); err != nil {
		return Verified{}, fmt.Errorf("not a JSON export: %w", err)
	}
	if x.Checkpoint == "" || x.Leaves == nil || x.Tally == nil {
		return Verified{}, fmt.Errorf("the export has no checkpoint, leaves or tally")
	}
	cp, err := OpenCheckpoint([]byte(x.Checkpoint), vkey)
	if err != nil {
		return Verified{}, err
	}
	if !strings.HasSuffix(cp.Origin, "/"+x.Poll) {
		return Verified{}, fmt.Errorf("the checkpoint is of log %q, not of poll %q", cp.Origin, x.Poll)
	}
	if int64(len(x.Leaves)) != cp.Size {
		return Verified{}, fmt.Errorf("the export has %d leaves, its checkpoint %d", len(x.Leaves), cp.Size)
	}
	var tree Tree
	candidates := make([]vote.Candidate, 0, len(x.Tally))
	for _, id := range slices.Sorted(maps.Keys(x.Tally)) {
		candidates = append(candidates, vote.Candidate{ID: id})
	}
	rc := vote.NewRecount(&vote.Poll{ID: x.Poll, Candidates: candidates})
	seen := map[string]bool{}
	for i, s := range x.Leaves {
		leaf, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Verified{}, fmt.Errorf("entry %d: not base64: %w", i, err)
		}
		e, err := ParseLeaf(leaf)
		if err != nil {
			return Verified{}, fmt.Errorf("entry %d: %w", i, err)
		}
		if e.State == vote.BallotCounted || e.State == vote.BallotHeld {
			if seen[e.Receipt] {
				return Verified{}, fmt.Errorf("entry %d: a second ballot with receipt hash %s", i, e.Receipt)
			}
			seen[e.Receipt] = true
		}
		for _, c := range e.Choices {
			if _, ok := x.Tally[c]; !ok && e.State != vote.LogAdmin {
				return Verified{}, fmt.Errorf("entry %d: choice %q is not in the export's tally", i, c)
			}
		}
		unmatched := rc.Unmatched
		rc.Add(e)
		if rc.Unmatched != unmatched {
			return Verified{}, fmt.Errorf("entry %d: a review of a ballot that is not awaiting review", i)
		}
		if _, err := tree.Append(leaf); err != nil {
			return Verified{}, err
		}
	}
	root, err := tree.Root(tree.Size())
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
		if root, err := tree.Root(old.Size); err != nil || root != old.Root {
			return Verified{}, fmt.Errorf("the export's log does not extend the kept checkpoint of %d entries: its first %d entries were changed", old.Size, old.Size)
		}
	}
	if rc.Ballots != x.Ballots {
		return Verified{}, fmt.Errorf("ballots: the export says %d, the leaves count %d", x.Ballots, rc.Ballots)
	}
	if rc.Held != x.Held {
		return Verified{}, fmt.Errorf("held: the export says %d, the leaves count %d", x.Held, rc.Held)
	}
	for _, id := range slices.Sorted(maps.Keys(x.Tally)) {
		if rc.Tally[id] != x.Tally[id] {
			return Verified{}, fmt.Errorf("tally[%s]: the export says %d, the leaves count %d", id, x.Tally[id], rc.Tally[id])
		}
	}
	return Verified{Checkpoint: cp, Count: rc.Count}, nil
}
