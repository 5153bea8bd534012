package fraud

import "github.com/livevote/livevote/vote"

// Many networks at once: a farm on residential proxies (each ballot from another household's
// network, with another browser's headers) leaves no per-source trace: every ballot is the first
// of its address, subnet and group, counted at once as a household's is. What it cannot hide is
// where its ballots go: the last minutes' ballots for its target come mostly from sources never
// seen in the hour, far more than the poll's usual share. Newcomers puts the two side by side, per
// candidate, for the organiser; it decides nothing by itself (a city that mobilises its citizens
// from their homes looks the same).

// Newcomer thresholds (Newcomers).
const (
	// NewcomerMinBallots is the fewest ballots from new sources in the recent window for a
	// candidate to be flagged: fewer are noise.
	NewcomerMinBallots = 10
	// NewcomerExcess is how far (in share of the candidate's recent ballots) the share from new
	// sources must exceed the poll's usual share for the candidate to be flagged.
	NewcomerExcess = 0.3
)

// NewcomerCount is one candidate's part of Newcomers: its ballots in the recent window, those of
// them from sources new in the hour, their Share, the same share over the rest of the hour
// (Usual), and Flagged when its recent ballots from new sources are at least NewcomerMinBallots
// and their share exceeds Usual by NewcomerExcess.
type NewcomerCount struct {
	Candidate    string
	Ballots, New int64
	Share, Usual float64
	Flagged      bool
}

// NewcomerReport is Newcomers's answer: the recent window's ballots with a source and those from
// new sources, the poll's usual share of new sources (over the earlier minutes of the hour), and
// each candidate's (in the poll's order).
type NewcomerReport struct {
	Ballots, New int64
	Usual        float64
	Candidates   []NewcomerCount
}

// Newcomers compares the last recent minutes of arrivals (oldest first, as
// vote.Sources.Arrivals reads them) with the minutes before them: per candidate, the share of its
// recent ballots that came from sources new in the hour beside the poll's usual share (the
// earlier minutes' ballots from new sources over all of theirs, for that candidate; the whole
// poll's when the candidate had none).
func Newcomers(p *vote.Poll, arrivals []vote.Arrivals, recent int) NewcomerReport {
	recent = min(max(recent, 0), len(arrivals))
	split := len(arrivals) - recent
	var before, now [2]vote.ChoiceCount // all, new
	for i, a := range arrivals {
		w := &before
		if i >= split {
			w = &now
		}
		w[0], w[1] = plus(w[0], a.All), plus(w[1], a.New)
	}
	share := func(part, whole int64) float64 {
		if whole <= 0 {
			return 0
		}
		return float64(part) / float64(whole)
	}
	out := NewcomerReport{Ballots: now[0].Ballots, New: now[1].Ballots, Usual: share(before[1].Ballots, before[0].Ballots)}
	for _, c := range p.Candidates {
		n := NewcomerCount{Candidate: c.ID, Ballots: now[0].Tally[c.ID], New: now[1].Tally[c.ID]}
		n.Share = share(n.New, n.Ballots)
		n.Usual = out.Usual
		if before[0].Tally[c.ID] > 0 {
			n.Usual = share(before[1].Tally[c.ID], before[0].Tally[c.ID])
		}
		n.Flagged = n.New >= NewcomerMinBallots && n.Share >= n.Usual+NewcomerExcess
		out.Candidates = append(out.Candidates, n)
	}
	return out
}
