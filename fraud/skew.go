package fraud

import (
	"math"

	"github.com/livevote/livevote/vote"
)

// The choice test: does a source (an IP address, a subnet, or a group: the sources of one /16 or
// /32 whose browsers send the same headers) vote like the rest of the poll?
//
// For each candidate c, the source's ballots that chose c (k of its n ballots in the sliding hour)
// are compared with the rest of the poll's (r of m) by Fisher's exact test, one-sided: the
// probability, were the source's ballots drawn from the same pool as the rest's, that at least k
// of its n would choose c (the upper tail of the hypergeometric distribution with N = n + m
// ballots of which k + r chose c). The smallest of these, times the number of candidates
// (Bonferroni: the source's most favoured candidate is picked after looking), is the source's
// score. Under the null hypothesis a score falls below a level a with probability at most a.
//
//   - Skewed: n >= FraudPolicy.SkewMinBallots and score < FraudPolicy.SkewAlpha.
//   - Clear: the rest has at least RestMinBallots ballots and score >= ClearAlpha: the source's
//     choices are unremarkable, whatever its size.
//   - Undecided otherwise (too few ballots either way, or a concentration not yet significant).
//
// A ballot with several choices counts once per candidate it chose; the test per candidate stays
// exact (each ballot chose c or did not).
//
// The reference (Reference) is the rest of the poll in the same sliding hour. When that has fewer
// than RestMinBallots ballots (the cold start: the ceremony's hall votes while the rest of the
// world is quiet, and a venue's pending ballots would wait for the hour to fill), the source is
// compared instead with the poll's counted ballots over its whole life (what the tally holds:
// held ballots, a farm's among them, are not in it) less the source's ballots of the hour. The
// tally may hold some of those (the source's counted and released ones) and not the pending
// ones, so this can take a few of the others' ballots too: for a source that votes like the rest
// that changes the reference's size, not its shape; for a skewed source it lowers its favourite's
// share of the reference, which only makes the test stricter. The cost is that the reference is
// the poll's whole evening, not this hour: a source that votes as the poll does now, when the mood
// of the evening has moved, is compared with the earlier mood, and may wait (undecided) where the
// hour would have cleared it; the skewed level (1e-6) stays far from what a drift of a few points
// does to a source of a few hundred ballots. The choice of the counted tally, rather than keeping
// every hour's counters, costs the store nothing: it is the snapshot's, read in the same round trip
// as the hour's counters (vote.Sources.Choices).
const (
	// ClearAlpha is the score from which a source is clear: a source that votes like the rest
	// scores under it in one check of a hundred at most, and then waits for the next check.
	ClearAlpha = 0.01
	// RestMinBallots is how many ballots the reference (the rest of the poll in the hour, or the
	// poll's counted ballots at a cold start) must have before a source can be clear: a
	// distribution of fewer ballots says too little to compare with.
	RestMinBallots = 50
)

// Judgement is what the choice test says of a source.
type Judgement int

// The judgements.
const (
	Undecided Judgement = iota
	Clear
	Skewed
)

func (j Judgement) String() string {
	switch j {
	case Clear:
		return "clear"
	case Skewed:
		return "skewed"
	}
	return "undecided"
}

// Skew returns the choice test's score of a source whose ballots are src, against the rest of
// the poll's, rest, in a poll of candidates candidates (see the test above): 1 when nothing
// stands out, near 0 for a source concentrated far beyond the rest.
func Skew(src, rest vote.ChoiceCount, candidates int) float64 {
	n, m := max(src.Ballots, 0), max(rest.Ballots, 0)
	best := 1.0
	for c, k := range src.Tally {
		k = min(max(k, 0), n)
		r := min(max(rest.Tally[c], 0), m)
		best = min(best, upperTail(n, m, k, r))
	}
	return min(1, best*float64(max(candidates, 1)))
}

// JudgeSource returns the choice test's judgement of a source, and its score, over its ballots src and the
// rest's, rest, under pol.
func JudgeSource(pol vote.FraudPolicy, src, rest vote.ChoiceCount, candidates int) (Judgement, float64) {
	score := Skew(src, rest, candidates)
	switch {
	case pol.SkewMinBallots > 0 && src.Ballots >= pol.SkewMinBallots && score < pol.SkewAlpha:
		return Skewed, score
	case rest.Ballots >= RestMinBallots && score >= ClearAlpha:
		return Clear, score
	}
	return Undecided, score
}

// upperTail is P(X >= k) for X hypergeometric: n draws from n + m ballots of which k + r chose
// the candidate (Fisher's exact test, one-sided).
func upperTail(n, m, k, r int64) float64 {
	if k == 0 {
		return 1
	}
	total, chose := n+m, k+r
	hi := min(n, chose)
	// log P(X = k), then the terms x = k+1 .. hi by their ratio
	logp := lchoose(chose, k) + lchoose(total-chose, n-k) - lchoose(total, n)
	term, sum := 1.0, 1.0
	for x := k; x < hi; x++ {
		term *= float64((chose-x)*(n-x)) / float64((x+1)*(total-chose-n+x+1))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return min(1, math.Exp(logp)*sum)
}

func lchoose(n, k int64) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// Reference returns what the choice test compares a source whose ballots in the hour are src
// with, from the counts Choices read: the rest of the poll in the hour (cc.Poll less its ballots
// held for the organiser, cc.Held, less src and less excluded: pending ballots of sources found
// skewed), or, when that has fewer than RestMinBallots ballots and the poll's counted ballots
// less src have more, those (the cold start; see above).
//
// Held ballots are left out because a farm's are, once found, most of what is held: a rest that
// kept them would look like the farm, and a large honest source (a carrier's group, a venue)
// would be skewed against it, towards everything the farm does not vote for. A source's own held
// ballots are then taken out twice (with Held and with src): that lowers the reference's count
// of what the source favours, and only for what was held of it.
func Reference(cc vote.ChoiceCounts, src vote.ChoiceCount, excluded ...vote.ChoiceCount) vote.ChoiceCount {
	rest := without(cc.Poll, append([]vote.ChoiceCount{cc.Held, src}, excluded...)...)
	if rest.Ballots >= RestMinBallots {
		return rest
	}
	if long := without(cc.Total, src); long.Ballots > rest.Ballots {
		return long
	}
	return rest
}

// without returns a minus each of subs, per field, never below zero.
func without(a vote.ChoiceCount, subs ...vote.ChoiceCount) vote.ChoiceCount {
	out := vote.ChoiceCount{Ballots: a.Ballots, Tally: make(map[string]int64, len(a.Tally))}
	for c, k := range a.Tally {
		out.Tally[c] = k
	}
	for _, s := range subs {
		out.Ballots -= s.Ballots
		for c, k := range s.Tally {
			out.Tally[c] -= k
		}
	}
	out.Ballots = max(out.Ballots, 0)
	for c, k := range out.Tally {
		out.Tally[c] = max(k, 0)
	}
	return out
}
