package vote_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote"
)

// TestDifferences checks the audit's comparison of the log's count with the counters: every
// count that differs is named, the tally's in candidate order, and a count lying between the
// counters before and after (either way round) is Between them.
func TestDifferences(t *testing.T) {
	count := func(ballots, held, void, a, b int64) vote.Count {
		return vote.Count{Ballots: ballots, Held: held, Void: void, Tally: map[string]int64{"a": a, "b": b}}
	}
	if d := vote.Differences(count(3, 1, 0, 2, 1), count(3, 1, 0, 2, 1)); d == nil || len(d) != 0 {
		t.Errorf("equal counts: differences %q, want empty and not nil (the API answers [])", d)
	}
	got := strings.Join(vote.Differences(count(3, 1, 0, 1, 2), count(4, 1, 1, 2, 2)), "; ")
	if want := "ballots: log 3, counters 4; void: log 0, counters 1; tally[a]: log 1, counters 2"; got != want {
		t.Errorf("differences: %s, want %s", got, want)
	}
	lo, hi := count(3, 1, 0, 2, 1), count(5, 1, 0, 3, 2)
	for _, tc := range []struct {
		mid  vote.Count
		want bool
	}{
		{count(4, 1, 0, 2, 2), true},
		{lo, true},
		{hi, true},
		{count(6, 1, 0, 3, 3), false},
		{count(4, 1, 0, 1, 2), false}, // a below both
		{count(4, 2, 0, 2, 2), false},
	} {
		if got := vote.Between(lo, tc.mid, hi); got != tc.want {
			t.Errorf("Between(%v, %v, %v) = %v, want %v", lo, tc.mid, hi, got, tc.want)
		}
		if got := vote.Between(hi, tc.mid, lo); got != tc.want {
			t.Errorf("Between(%v, %v, %v) = %v, want %v (either way round)", hi, tc.mid, lo, got, tc.want)
		}
	}
}

// pagedLog is a ballot log that Replay reads through Records.Log, pages of at most limit.
type pagedLog struct {
	vote.Records
	entries []vote.LogEntry
	reads   int
}

func (l *pagedLog) Log(_ context.Context, _ *vote.Poll, after string, limit int) ([]vote.LogEntry, error) {
	l.reads++
	i := 0
	for after != "" && i < len(l.entries) && l.entries[i].ID != after {
		i++
	}
	if after != "" {
		i++
	}
	return l.entries[min(i, len(l.entries)):min(i+limit, len(l.entries))], nil
}

// TestReplay checks that Replay reads the whole log, past its first page, in order.
func TestReplay(t *testing.T) {
	p := &vote.Poll{ID: "p", Candidates: []vote.Candidate{{ID: "a"}, {ID: "b"}}}
	log := &pagedLog{}
	for i := range 2500 {
		log.entries = append(log.entries, vote.LogEntry{ID: string(rune('A'+i/1000)) + strings.Repeat("x", i%1000),
			State: vote.BallotCounted, Voter: "v" + strconv.Itoa(i), Choices: []string{"a"}})
	}
	log.entries = append(log.entries, vote.LogEntry{ID: "last", State: vote.BallotCounted, Voter: "w", Choices: []string{"b"}})
	rc, err := vote.Replay(context.Background(), log, p)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Entries != 2501 || rc.Ballots != 2501 || rc.Tally["a"] != 2500 || rc.Tally["b"] != 1 || rc.DuplicateVoters != 0 {
		t.Errorf("replay: %d entries, count %+v, %d duplicate voters; want 2501, 2501 ballots (a 2500, b 1), 0",
			rc.Entries, rc.Count, rc.DuplicateVoters)
	}
	if log.reads != 4 {
		t.Errorf("replay read %d pages of the log, want 4 (3 pages and the empty end)", log.reads)
	}
}
