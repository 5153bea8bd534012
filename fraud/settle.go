package fraud

import (
	"context"
	"slices"
	"time"

	"github.com/livevote/livevote/vote"
)

// Limits of one settling pass (Settle).
const (
	// settleMax is the most pending ballots one pass looks at (the newest: under a backlog the
	// latest ballots are public first, the older wait in the held list): a pass reads the
	// choice counters of their addresses, subnets and groups (at most three times as many
	// sources, each a field per candidate), so this bounds a pass's cost to the store; 2,000
	// every 2 s is a thousand releases a second per instance, far beyond a ceremony's rush.
	settleMax = 2000
	// settleChunk is the most ballots one Release or Keep call takes.
	settleChunk = 1000
	// PendingFor is how long a pending ballot may wait for the test to clear its source: after
	// that its source's window has moved on, and the ballot is left held for the organiser. A
	// ballot of clear sources that only the budget holds back does not expire (see Budget).
	PendingFor = 30 * time.Minute
	// testRounds bounds the rounds of Settle's tests (see judgeSources).
	testRounds = 3
	// finalRestMin is the fewest ballots the rest of the poll must have for the final pass
	// (SettleClosed) to judge a source against it: with fewer, the source is (nearly) the whole
	// poll, and its pending ballots go to the organiser with that said (SignalAlone).
	finalRestMin = 10
	// finalPasses bounds the passes of SettleClosed (each takes up to settleMax ballots).
	finalPasses = 20
)

// PendingStore is what Settle needs of a store (vote.Records and vote.Sources have it).
type PendingStore interface {
	Pending(ctx context.Context, p *vote.Poll, limit int) ([]vote.HeldBallot, error)
	Choices(ctx context.Context, p *vote.Poll, now time.Time, sources []string) (vote.ChoiceCounts, error)
	Release(ctx context.Context, p *vote.Poll, receipts []string, at time.Time) (int, error)
	Keep(ctx context.Context, p *vote.Poll, receipts []string, signal vote.Signal, at time.Time) error
}

// Settled is what one pass of Settle did: pending ballots released, kept held for being skewed,
// kept held for having waited PendingFor, and left pending (Budgeted of them clear but beyond
// their source's budget); and the sources it judged skewed. A final pass (SettleClosed) also
// keeps the ballots it could not decide: Alone of a source that is (nearly) the whole poll,
// Undecided of the others.
type Settled struct {
	Released, Skewed, Expired, Waiting int
	Budgeted                           int
	Alone, Undecided                   int
	SkewedSources                      []string
}

// Settle runs the choice test (see Skew) over the sources of p's pending ballots, as of now, and
// settles what it can: a ballot whose IP address, subnet and group are all clear is released
// (counted at its recording time; the log says by the system) as far as its sources' budgets
// allow (Budget: a source below Power ballots counts no more than BudgetMargin beyond the rest's
// shares; the rest of its clear ballots wait, without expiring); one whose IP address, subnet or
// group is skewed stays held for the organiser, with the signal skewed; one older than
// PendingFor stays held as it is; the rest wait for the next pass. Each source is compared with
// its Reference: the rest of the poll, which leaves out the ballots held for the organiser (a
// farm's kept ones among them) and the pending ballots of suspect sources (see judgeSources),
// so that a farm's other sources, and the honest sources beside it, are not compared with the
// farm. Any number of instances may run Settle at once: the store settles each ballot once. With
// the test off (SkewMinBallots 0) it does nothing.
//
// The group must be clear, not only not skewed: a farm spread one or two ballots per /24 over
// many /24s has every address and subnet clear (one or two ballots say nothing), and its group
// stays undecided until it has SkewMinBallots ballots; releasing on "not skewed" would count its
// first twenty or so (a tenth of a farm of 200), where requiring clear counts the group's first
// ballot (the first of its sources, never pending) and at most the one a pass sees as the
// group's second (two of two for a candidate with a few percent of the rest is still clear). It
// costs an honest ballot little more than the subnet already does: a group is clear as soon as
// the reference has RestMinBallots ballots and the group's choices are unremarkable, and three
// alike for a small candidate (undecided) wait for the group's next ballots, as a subnet's do.
func Settle(ctx context.Context, st PendingStore, p *vote.Poll, now time.Time) (Settled, error) {
	return settle(ctx, st, p, now, false)
}

// SettleClosed is the last pass over a closed poll's pending ballots, run as soon as it closes
// (and again while any are left): every pending ballot is decided, counted or held for the
// organiser with its reason, since no later ballot will tell more. Each source is judged
// against the whole poll (its counted ballots over its whole life and the pending ballots of the
// other sources, less what is held: Reference's cold start, without the hour's minimum) by the
// same test; a clear source's ballots are released (the budget, which waits for more ballots,
// has none to wait for: the test alone decides, at its false-alarm bound); a skewed one's are
// kept, skewed; a source whose rest has fewer than finalRestMin ballots is (nearly) the whole
// poll and its ballots are kept with SignalAlone (there is nothing to compare it with: the
// organiser decides, typically a small vote from one network, released in one action); the
// others (undecided) are kept with SignalUndecided. Like Settle, any number of instances may
// run it at once.
func SettleClosed(ctx context.Context, st PendingStore, p *vote.Poll, now time.Time) (Settled, error) {
	var out Settled
	for range finalPasses {
		one, err := settle(ctx, st, p, now, true)
		out.Released += one.Released
		out.Skewed += one.Skewed
		out.Expired += one.Expired
		out.Alone += one.Alone
		out.Undecided += one.Undecided
		out.SkewedSources = append(out.SkewedSources, one.SkewedSources...)
		if err != nil || one.Released+one.Skewed+one.Expired+one.Alone+one.Undecided == 0 {
			return out, err
		}
	}
	return out, nil
}

func settle(ctx context.Context, st PendingStore, p *vote.Poll, now time.Time, final bool) (Settled, error) {
	var out Settled
	if p.Fraud.SkewMinBallots <= 0 {
		return out, nil
	}
	list, err := st.Pending(ctx, p, settleMax)
	if err != nil || len(list) == 0 {
		return out, err
	}
	var sources []string
	seen := map[string]bool{}
	for _, b := range list {
		for _, s := range []string{b.IP, b.Subnet, b.Group} {
			if s != "" && !seen[s] {
				seen[s] = true
				sources = append(sources, s)
			}
		}
	}
	cc, err := st.Choices(ctx, p, now, sources)
	if err != nil {
		return out, err
	}
	if final {
		// the whole poll: its counted ballots and the pending ones, never the hour's minimum
		cc.Poll = vote.ChoiceCount{}
		cc.Total = plus(cc.Total, choicesOf(list, allOf(list), nil))
	}
	judged, rest, power := judgeSources(p, list, cc, final)

	var release, skewed, expired, alone, undecided []string
	budget := newBudget(list, judged, cc, rest, power)
	// Oldest first, so that a source's budget goes to its earliest ballots; then again over those
	// the budget held back, which the ballots released after them may have made room for (a
	// ballot for an under-chosen candidate narrows the source's excesses).
	var budgeted []vote.HeldBallot
	for i := len(list) - 1; i >= 0; i-- {
		b := list[i]
		switch {
		case judged[b.IP].Judgement == Skewed || judged[b.Subnet].Judgement == Skewed || judged[b.Group].Judgement == Skewed:
			skewed = append(skewed, b.ID)
		case releasable(judged, b) && (final || budget.take(b)):
			release = append(release, b.ID)
		case releasable(judged, b):
			budgeted = append(budgeted, b)
		case final && isAlone(judged, b):
			alone = append(alone, b.ID)
		case final:
			undecided = append(undecided, b.ID)
		case now.Sub(b.RecordedAt) > PendingFor:
			expired = append(expired, b.ID)
		default:
			out.Waiting++
		}
	}
	for retry := true; retry; {
		retry = false
		budgeted = slices.DeleteFunc(budgeted, func(b vote.HeldBallot) bool {
			if budget.take(b) {
				release, retry = append(release, b.ID), true
				return true
			}
			return false
		})
	}
	// What the budget holds back does not expire: its sources are clear, and it waits for room,
	// for Power or for the close (a slow honest group may take longer than PendingFor to reach
	// Power).
	out.Budgeted = len(budgeted)
	out.Waiting += len(budgeted)
	for s, j := range judged {
		if j.Judgement == Skewed {
			out.SkewedSources = append(out.SkewedSources, s)
		}
	}
	slices.Sort(out.SkewedSources)
	keep := func(ids []string, signal vote.Signal, n *int) error {
		for part := range slices.Chunk(ids, settleChunk) {
			if err := st.Keep(ctx, p, part, signal, now); err != nil {
				return err
			}
			*n += len(part)
		}
		return nil
	}
	if err := keep(skewed, vote.SignalSkewed, &out.Skewed); err != nil {
		return out, err
	}
	if err := keep(expired, "", &out.Expired); err != nil {
		return out, err
	}
	if err := keep(alone, vote.SignalAlone, &out.Alone); err != nil {
		return out, err
	}
	if err := keep(undecided, vote.SignalUndecided, &out.Undecided); err != nil {
		return out, err
	}
	for part := range slices.Chunk(release, settleChunk) {
		n, err := st.Release(ctx, p, part, now)
		out.Released += n
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// judged is what judgeSources says of one source: the test's judgement and score, its ballots
// in the hour (N), and whether the rest it was compared with was too small to judge it at the
// close (Alone: the source is nearly the whole poll).
type judged struct {
	Judgement
	Score float64
	N     int64
	Alone bool
}

// judgeSources judges every source of the pending ballots list against its reference (see
// reference): at first with nothing left out; then, again while that changes (up to testRounds
// rounds), leaving out the ballots of the sources that were suspect in the last round: skewed,
// or undecided with a departure (a score under ClearAlpha; not a source undecided only for want
// of a reference, which would keep the reference from ever filling at the poll's start). A
// suspect source is left out whole: its pending ballots (each once, though a farm's address,
// subnet and group hold the same ones) and its ballots already counted in the hour (those of its
// largest suspect source per ballot, so that a farm's address and subnet inside it are not taken
// out twice), so that a farm, found or not yet, and what it had counted before, does not pass for
// the rest of the poll: else a large honest source (a carrier's group, a venue) would look
// skewed against it, towards everything the farm does not vote for. A source is never compared
// with a rest stripped of its own ballots twice (its own are taken out once, as itself).
//
// It also returns the poll's reference with every suspect left out (what the budget measures a
// source's excesses against) and its Power.
func judgeSources(p *vote.Poll, list []vote.HeldBallot, cc vote.ChoiceCounts, final bool) (map[string]judged, vote.ChoiceCount, int64) {
	of := map[string][]int{} // source -> its ballots in list
	var sources []string
	for i, b := range list {
		for _, s := range []string{b.IP, b.Subnet, b.Group} {
			if s == "" {
				continue
			}
			if of[s] == nil {
				sources = append(sources, s)
			}
			of[s] = append(of[s], i)
		}
	}
	slices.Sort(sources)
	k := len(p.Candidates)
	restMin := int64(RestMinBallots)
	if final {
		restMin = finalRestMin
	}
	left := make([]bool, len(list)) // pending ballots left out of the references
	var out map[string]judged
	var poll vote.ChoiceCount
	var power int64
	for range testRounds {
		pending := choicesOf(list, left, nil)
		poll = reference(cc, vote.ChoiceCount{}, pending, final)
		power = Power(poll, k)
		out = make(map[string]judged, len(sources))
		next := map[string]bool{}
		for _, s := range sources {
			src := cc.Sources[s]
			ref := reference(cc, src, without(pending, choicesOf(list, left, of[s])), final)
			judgement, score := JudgeSource(p.Fraud, src, ref, k, restMin, power)
			j := judged{Judgement: judgement, Score: score, N: src.Ballots, Alone: ref.Ballots < restMin}
			out[s] = j
			next[s] = j.Judgement == Skewed || j.Judgement == Undecided && score < ClearAlpha
		}
		changed := false
		for i, b := range list {
			if l := next[b.IP] || next[b.Subnet] || next[b.Group]; l != left[i] {
				left[i], changed = l, true
			}
		}
		if !changed {
			break
		}
	}
	return out, poll, power
}

// reference is what a source whose ballots in the hour are src is compared with, the pending
// ballots of suspect sources, pending, left out: the rest of the poll in the hour (cc.Poll less
// cc.Held, src and pending) or, when that has fewer than RestMinBallots ballots, the poll's
// counted ballots over its life less src (and less pending in a final pass, whose cc.Total holds
// the pending ballots too) when those are more (see Reference).
func reference(cc vote.ChoiceCounts, src, pending vote.ChoiceCount, final bool) vote.ChoiceCount {
	rest := without(cc.Poll, cc.Held, src, pending)
	if rest.Ballots >= RestMinBallots {
		return rest
	}
	long := without(cc.Total, src)
	if final {
		long = without(long, pending)
	}
	if long.Ballots > rest.Ballots {
		return long
	}
	return rest
}

// isAlone reports whether one of b's sources was judged alone (see judged).
func isAlone(j map[string]judged, b vote.HeldBallot) bool {
	for _, s := range []string{b.IP, b.Subnet, b.Group} {
		if s != "" && j[s].Alone {
			return true
		}
	}
	return false
}

// releasable reports whether the judgements release b: each of its sources is clear.
func releasable(j map[string]judged, b vote.HeldBallot) bool {
	for _, s := range []string{b.IP, b.Subnet, b.Group} {
		if s != "" && j[s].Judgement != Clear {
			return false
		}
	}
	return true
}

// allOf returns a mask of every ballot of list.
func allOf(list []vote.HeldBallot) []bool {
	out := make([]bool, len(list))
	for i := range out {
		out[i] = true
	}
	return out
}

// choicesOf sums the ballots of list that are left out (left), of all of them or, when which is
// not nil, of those it names.
func choicesOf(list []vote.HeldBallot, left []bool, which []int) vote.ChoiceCount {
	out := vote.ChoiceCount{Tally: map[string]int64{}}
	add := func(i int) {
		if left[i] {
			out.Ballots++
			for _, c := range list[i].Choices {
				out.Tally[c]++
			}
		}
	}
	if which == nil {
		for i := range list {
			add(i)
		}
	}
	for _, i := range which {
		add(i)
	}
	return out
}
