package fraud

import "github.com/livevote/livevote/vote"

// Many networks at once: a farm on residential proxies (each ballot from another household's
// network, with another browser's headers) leaves no per-source trace: every ballot is the first
// of its address, subnet and group, counted at once as a household's is. What it cannot hide is
// where its ballots go: more of its target's recent ballots come from networks the poll has not
// seen in the hour than the poll's share of such networks predicts. Newcomers puts the two side
// by side, per candidate, for the organiser; it decides nothing by itself (a city that mobilises
// its citizens from their homes looks the same).

// Newcomer thresholds (Newcomers).
const (
	// NewcomerMinutes is the window Newcomers looks at: the last minutes, the current one
	// included.
	NewcomerMinutes = 15
	// NewcomerMinBallots is the fewest ballots from new networks for a candidate to be marked:
	// fewer are noise.
	NewcomerMinBallots = 10
	// NewcomerAlpha is the level at which a candidate's share of ballots from new networks is
	// marked as above the poll's (Fisher's exact test, one-sided, times the candidates): about one
	// candidate in a thousand looks of the console, when nothing is going on. A mark is a hint
	// for the organiser, never a hold.
	NewcomerAlpha = 1e-3
)

// NewcomerCount is one candidate's part of Newcomers: its ballots in the window, those of them
// from networks new in the hour and their Share, the test's Score (see NewcomerAlpha), and
// Flagged when New >= NewcomerMinBallots and Score < NewcomerAlpha.
type NewcomerCount struct {
	Candidate    string
	Ballots, New int64
	Share, Score float64
	Flagged      bool
}

// NewcomerReport is Newcomers's answer: the window's ballots with a source, those from networks
// new in the hour, the poll's share of them (Usual), and each candidate's part (in the poll's
// order).
type NewcomerReport struct {
	Ballots, New int64
	Usual        float64
	Candidates   []NewcomerCount
}

// Newcomers sums arrivals (the window's minutes, as vote.Sources.Arrivals reads them) and
// compares, per candidate, the share of its ballots from networks new in the hour with the
// poll's: the candidate's k new of its n ballots against the other candidates' r new of their m
// (each ballot once per candidate it chose), by the upper tail of Fisher's exact test, times
// the number of candidates.
func Newcomers(p *vote.Poll, arrivals []vote.Arrivals) NewcomerReport {
	var all, fresh vote.ChoiceCount
	for _, a := range arrivals {
		all, fresh = plus(all, a.All), plus(fresh, a.New)
	}
	share := func(part, whole int64) float64 {
		if whole <= 0 {
			return 0
		}
		return float64(part) / float64(whole)
	}
	var chosen, chosenNew int64 // choices, as ballots per candidate count them
	for _, c := range p.Candidates {
		chosen, chosenNew = chosen+all.Tally[c.ID], chosenNew+fresh.Tally[c.ID]
	}
	out := NewcomerReport{Ballots: all.Ballots, New: fresh.Ballots, Usual: share(fresh.Ballots, all.Ballots)}
	for _, c := range p.Candidates {
		n := NewcomerCount{Candidate: c.ID, Ballots: all.Tally[c.ID], New: min(fresh.Tally[c.ID], all.Tally[c.ID])}
		n.Share = share(n.New, n.Ballots)
		m, r := max(chosen-n.Ballots, 0), max(chosenNew-n.New, 0)
		n.Score = min(1, upperTail(n.Ballots, m, n.New, min(r, m))*float64(max(len(p.Candidates), 1)))
		n.Flagged = n.New >= NewcomerMinBallots && n.Score < NewcomerAlpha
		out.Candidates = append(out.Candidates, n)
	}
	return out
}
