package fraud

import (
	"math"

	"github.com/livevote/livevote/vote"
)

// The choice test: does a source (an IP address, a subnet, or a group: the sources of one /16 or
// /32 whose browsers send the same headers) vote like the rest of the poll, for every candidate?
//
// For each candidate c, the source's ballots that chose c (k of its n ballots in the sliding hour)
// are compared with the rest of the poll's (r of m) by Fisher's exact test, in both directions:
// the probability, were the source's ballots drawn from the same pool as the rest's, that at
// least k of its n would choose c (too many: the upper tail of the hypergeometric distribution
// with N = n + m ballots of which k + r chose c), and that at most k would (too few: its lower
// tail). A source that never votes for the leader while the rest gives it 40% is as far from the
// rest as one that votes for a target twice as often: both move the margin between two
// candidates. The smallest of these 2K tails (K candidates), times 2K (Bonferroni: the source's
// most favoured and most neglected candidates are picked after looking), is the source's score.
// Under the null hypothesis (the source's ballots are drawn like the rest's) a score falls below
// a level a with probability at most a, whatever n, m and the candidates' shares: the false-alarm
// bound per source and check is SkewAlpha (1e-6 by default).
//
//   - Skewed: n >= FraudPolicy.SkewMinBallots and score < FraudPolicy.SkewAlpha.
//   - Clear: the rest has at least RestMinBallots ballots and score >= ClearAlpha: the source's
//     choices are unremarkable, whatever its size.
//   - Undecided otherwise (too few ballots either way, or a departure not yet significant).
//
// A ballot with several choices counts once per candidate it chose; the test per candidate stays
// exact (each ballot chose c or did not).
//
// Clear says only that the test could not tell, not that it could have: a source of a few
// ballots is clear whatever it chose. What the system releases on that is bounded (Budget).
const (
	// ClearAlpha is the score from which a source is clear: a source that votes like the rest
	// scores under it in one check of a hundred at most, and then waits for the next check.
	ClearAlpha = 0.01
	// Tolerance is how far (as a share of its ballots) a source of Power ballots or more may
	// depart from the rest for every candidate and still be clear when the test finds the
	// departure significant but not skewed: a farm inside the rest of the poll, a fraction f of
	// it, bends the rest's shares by up to f times its own departure (f x the leader's share, for
	// one that shuns the leader), and a large honest source (a carrier's group of thousands)
	// compared with the bent rest would otherwise wait, undecided, for the organiser. 5 points
	// tolerate a farm of up to about a fifth of the rest; a large source within them moves a
	// margin by at most 10% of its ballots, and only where the test at its size sees a departure
	// that small at all (a source of about a thousand ballots or more: smaller ones within 5
	// points are clear by the score).
	Tolerance = 0.05
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
// stands out, near 0 for a source that chose some candidate far more, or far less, than the rest.
// Candidates that neither src nor rest chose say nothing and are not tested (they still count in
// the Bonferroni factor, 2 x candidates).
func Skew(src, rest vote.ChoiceCount, candidates int) float64 {
	n, m := max(src.Ballots, 0), max(rest.Ballots, 0)
	best := 1.0
	tail := func(k, r int64) {
		k, r = min(max(k, 0), n), min(max(r, 0), m)
		best = min(best, upperTail(n, m, k, r), upperTail(n, m, n-k, m-r))
	}
	for c, k := range src.Tally {
		tail(k, rest.Tally[c])
	}
	for c, r := range rest.Tally {
		if _, ok := src.Tally[c]; !ok {
			tail(0, r)
		}
	}
	return min(1, best*float64(2*max(candidates, 1)))
}

// JudgeSource returns the choice test's judgement of a source, and its score, over its ballots src and the
// rest's, rest, under pol: skewed when significant; clear when rest has restMin ballots at least
// (RestMinBallots, fewer in the close's last pass) and the test finds nothing, or when src has
// power ballots at least (Power: the test could have told) and departs from rest by at most
// Tolerance on every candidate; else undecided. Settle and the organiser's review by group both
// judge with it.
func JudgeSource(pol vote.FraudPolicy, src, rest vote.ChoiceCount, candidates int, restMin, power int64) (Judgement, float64) {
	score := Skew(src, rest, candidates)
	switch {
	case pol.SkewMinBallots > 0 && src.Ballots >= pol.SkewMinBallots && score < pol.SkewAlpha:
		return Skewed, score
	case rest.Ballots >= restMin && (score >= ClearAlpha || src.Ballots >= power && Departure(src, rest) <= Tolerance):
		return Clear, score
	}
	return Undecided, score
}

// Departure returns the largest difference, over the candidates, between the share of src's
// ballots and the share of rest's that chose it (0 when either has no ballots).
func Departure(src, rest vote.ChoiceCount) float64 {
	if src.Ballots <= 0 || rest.Ballots <= 0 {
		return 0
	}
	out := 0.0
	share := func(c vote.ChoiceCount, x string) float64 { return float64(c.Tally[x]) / float64(c.Ballots) }
	for x := range src.Tally {
		out = max(out, math.Abs(share(src, x)-share(rest, x)))
	}
	for x := range rest.Tally {
		out = max(out, math.Abs(share(src, x)-share(rest, x)))
	}
	return out
}

// upperTail is P(X >= k) for X hypergeometric: n draws from n + m ballots of which k + r chose
// the candidate (Fisher's exact test, one-sided). The lower tail P(X <= k) is upperTail(n, m,
// n-k, m-r): at most k of the n chose the candidate when at least n-k did not.
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
