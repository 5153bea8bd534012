package vote

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// Places returns the places of tally, last place first: each place is the ids of the candidates
// with one count (a tie is one place), sorted by id; the first place (every winner of a tie) is
// the last element. It is the order of the staged reveal, one place a step.
func Places(tally map[string]int64) [][]string {
	ids := make([]string, 0, len(tally))
	for id := range tally {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(tally[a], tally[b]), cmp.Compare(a, b)) })
	var places [][]string
	for i, id := range ids {
		if i > 0 && tally[ids[i-1]] == tally[id] {
			places[len(places)-1] = append(places[len(places)-1], id)
			continue
		}
		places = append(places, []string{id})
	}
	return places
}

// Staged is how many places a staged reveal of tally withholds when it starts: every place of
// Places(tally), or only the first RevealTop when p stages the top places alone.
func (p *Poll) Staged(tally map[string]int64) int {
	n := len(Places(tally))
	if p.RevealTop > 0 {
		n = min(n, p.RevealTop)
	}
	return n
}

// Statement is the result s holds as the log's "statement" and "correction" entries record it
// (their value): {"counted","held","tally"}.
func (s Snapshot) Statement() string {
	v, _ := json.Marshal(struct { // a struct of numbers and a map of numbers: it cannot fail
		Counted int64            `json:"counted"`
		Held    int64            `json:"held"`
		Tally   map[string]int64 `json:"tally"`
	}{s.Ballots, s.Held, s.Tally})
	return string(v)
}

// StepGrace is how long after a step of the reveal the public still sees the step before: the
// presenter's screen shows the new place from the answer to its own request, and no phone may
// show it first.
const StepGrace = 700 * time.Millisecond

// PublicWithheld is how many places the public does not see yet at s.At while the results are
// revealed: State.Withheld, or what it was before a step forward taken less than StepGrace ago.
func (s Snapshot) PublicWithheld() int {
	w := max(0, s.State.Withheld)
	if s.State.Before > w && s.At.Before(time.UnixMilli(s.State.StepAt).Add(StepGrace)) {
		return s.State.Before
	}
	return w
}

// PublicTally is the one visibility rule of the tally (the results API, the public live socket
// and the metrics all use it): what anyone may see of s.Tally. While the results are hidden,
// nothing (nil); while live, all of it; while revealed, the places the stage has shown so far:
// every place of Places(s.Tally) but the PublicWithheld first ones, and all of it once nothing
// is withheld. The map must not be modified (it may be s.Tally itself).
func (s Snapshot) PublicTally() map[string]int64 {
	w := s.PublicWithheld()
	switch {
	case s.State.Results == ResultsLive, s.State.Results == ResultsRevealed && w == 0:
		return s.Tally
	case s.State.Results != ResultsRevealed:
		return nil
	}
	places := Places(s.Tally)
	out := make(map[string]int64, len(s.Tally))
	for _, place := range places[:max(0, len(places)-w)] {
		for _, id := range place {
			out[id] = s.Tally[id]
		}
	}
	return out
}

// CorrectedAt is when the revealed result was last corrected, in RFC 3339 with milliseconds
// (UTC), or "" when it never was.
func CorrectedAt(s State) string {
	if s.Corrected == 0 {
		return ""
	}
	return time.UnixMilli(s.Corrected).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// Final reports whether the results are revealed and the stage has shown every place: from then
// on the result is a statement (a later change is a correction).
func (s State) Final() bool { return s.Results == ResultsRevealed && s.Withheld <= 0 }

// PublicFinal reports whether, at s.At, the public may see every place of the revealed result
// (Final, and the last step's StepGrace over): from then on the log may open.
func (s Snapshot) PublicFinal() bool {
	return s.State.Results == ResultsRevealed && s.PublicWithheld() == 0
}
