package fraud

import (
	"math"

	"github.com/livevote/livevote/vote"
)

// The budget: what the system releases of a source by itself, before the test could tell.
//
// Clear means only that the test could not tell a source from the rest, not that it could have:
// a source of a few ballots is clear whatever it chose. A farm that votes none for the leader and
// the leader's share for its target, paced like a venue, stays clear for its first twenty or
// thirty ballots (the leader's absence is significant at the clear level only from about
// ln(ClearAlpha/2K) / ln(1 - share) ballots: Power), and every one of them released moves the
// margin between the leader and the target.
//
// So, until a source (an address, a subnet, a group) has Power ballots in the sliding hour, the
// system counts of it by itself only what keeps the margin its counted ballots move within
// BudgetMargin: for each candidate c, the excess d_c = k_c - n q_c of the source's n counted
// ballots (k_c of them for c) over what the rest of the poll's shares q predict; the margin it
// moves between a and b is d_a - d_b, and a release that would take the largest of these (the
// largest excess less the smallest) beyond BudgetMargin waits. A source that votes like the rest
// keeps its excesses small and counts on (a ballot that would widen them waits a pass or two
// until others narrow them, or until Power); a farm that shuns the leader widens the leader's
// deficit with every ballot, and stops. From Power ballots on, a source that gave the leader none
// would not be clear, and a clear source's ballots are released whatever their number (the venue).
// Ballots held back by the budget wait pending; at the close the last pass (SettleClosed) lets
// the test alone decide.
//
// What this bounds: a source moves the margin between two candidates by at most BudgetMargin
// ballots (and a ballot) an hour beyond what the rest of the poll predicts, until it has Power
// ballots. What it cannot bound: a source that departs from the rest by less than the test can
// see at its size (about 3 x sqrt(n x share) ballots for n ballots), released as clear once it has
// Power ballots; and a farm with a new network for every ballot (every source has one ballot, the
// first, counted at once): see the README ("Many networks").
const (
	// BudgetMargin is how far (in ballots) the counted ballots of a source below Power may move
	// the margin between two candidates beyond the rest of the poll's shares.
	BudgetMargin = 3
	// noPower is Power when the reference has no leader to shun (it is empty).
	noPower = math.MaxInt64
)

// Power returns the fewest ballots a source must have for the choice test to tell it from rest
// at the clear level when it never chose rest's leader (its most chosen candidate): the smallest
// n with 2 x candidates x P(none of n draws chose the leader) < ClearAlpha, the hypergeometric
// probability of drawing n ballots from n + m of which the leader's r all fall in the rest.
// It is about ln(ClearAlpha / 2K) / ln(1 - r/m): 32 for a leader with 22% of the rest and 15
// candidates; more for a poll without a clear leader.
func Power(rest vote.ChoiceCount, candidates int) int64 {
	m := rest.Ballots
	var r int64
	for _, k := range rest.Tally {
		r = max(r, min(k, m))
	}
	if m <= 0 || r <= 0 {
		return noPower
	}
	level := math.Log(ClearAlpha / float64(2*max(candidates, 1)))
	// log P(X = 0) = sum over i < n of log((m - r + i + 1 - ...)): computed term by term:
	// P(X = 0) = prod_{i=0}^{n-1} (m - r + n - i) / (m + n - i); increasing n multiplies it by
	// a factor below 1, so the first n under the level is the answer.
	for n := int64(1); n <= 1_000_000; n++ {
		if lchoose(m-r+n, n)-lchoose(m+n, n) < level {
			return n
		}
	}
	return noPower
}

// budget is one pass's state of the sources' budgets: the excess per candidate of each source's
// counted ballots (absent: a source with Power ballots or more, not limited), and the shares of
// the rest of the poll.
type budget struct {
	excess map[string]map[string]float64
	shares map[string]float64
}

// newBudget returns the budget of the sources of the pending ballots list, as judged, against
// the rest of the poll rest, with cc the counters Choices read: a source with fewer than power
// ballots in the hour is limited, its counted ballots taken as its ballots in the hour less its
// pending ones (those held for the organiser too, which only makes the budget stricter).
func newBudget(list []vote.HeldBallot, j map[string]judged, cc vote.ChoiceCounts, rest vote.ChoiceCount, power int64) *budget {
	out := &budget{excess: map[string]map[string]float64{}, shares: map[string]float64{}}
	if rest.Ballots > 0 {
		for c, k := range rest.Tally {
			out.shares[c] = float64(k) / float64(rest.Ballots)
		}
	}
	pending := map[string]vote.ChoiceCount{}
	for _, b := range list {
		for _, s := range []string{b.IP, b.Subnet, b.Group} {
			if s != "" && j[s].N < power {
				pending[s] = plus(pending[s], vote.ChoiceCount{Ballots: 1, Tally: tallyOf(b.Choices)})
			}
		}
	}
	for s, p := range pending {
		counted := without(cc.Sources[s], p)
		d := map[string]float64{}
		for c, q := range out.shares {
			d[c] = float64(counted.Tally[c]) - float64(counted.Ballots)*q
		}
		for c, k := range counted.Tally {
			if _, ok := out.shares[c]; !ok {
				d[c] = float64(k)
			}
		}
		out.excess[s] = d
	}
	return out
}

// take reports whether releasing b keeps each of its limited sources within BudgetMargin, and
// counts it in their excesses when it does.
func (bu *budget) take(b vote.HeldBallot) bool {
	srcs := []string{b.IP, b.Subnet, b.Group}
	chose := tallyOf(b.Choices)
	after := func(d map[string]float64, c string) float64 {
		return d[c] + float64(chose[c]) - bu.shares[c]
	}
	for _, s := range srcs {
		d, limited := bu.excess[s]
		if s == "" || !limited {
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for c := range bu.shares {
			x := after(d, c)
			lo, hi = min(lo, x), max(hi, x)
		}
		for c := range chose {
			x := after(d, c)
			lo, hi = min(lo, x), max(hi, x)
		}
		if hi-lo > BudgetMargin {
			return false
		}
	}
	for _, s := range srcs {
		d, limited := bu.excess[s]
		if s == "" || !limited {
			continue
		}
		for c := range bu.shares {
			d[c] = after(d, c)
		}
		for c := range chose {
			if _, ok := bu.shares[c]; !ok {
				d[c] = after(d, c)
			}
		}
	}
	return true
}

// tallyOf counts choices.
func tallyOf(choices []string) map[string]int64 {
	out := make(map[string]int64, len(choices))
	for _, c := range choices {
		out[c]++
	}
	return out
}

// plus returns a plus b, per field.
func plus(a, b vote.ChoiceCount) vote.ChoiceCount {
	out := vote.ChoiceCount{Ballots: a.Ballots + b.Ballots, Tally: make(map[string]int64, len(a.Tally)+len(b.Tally))}
	for c, k := range a.Tally {
		out.Tally[c] += k
	}
	for c, k := range b.Tally {
		out.Tally[c] += k
	}
	return out
}
