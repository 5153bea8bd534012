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
	// that its source's window has moved on, and the ballot is left held for the organiser.
	PendingFor = 30 * time.Minute
	// testRounds bounds the rounds of Settle's tests (see judgeSources).
	testRounds = 3
)

// PendingStore is what Settle needs of a store (vote.Records and vote.Sources have it).
type PendingStore interface {
	Pending(ctx context.Context, p *vote.Poll, limit int) ([]vote.HeldBallot, error)
	Choices(ctx context.Context, p *vote.Poll, now time.Time, sources []string) (vote.ChoiceCounts, error)
	Release(ctx context.Context, p *vote.Poll, receipts []string, at time.Time) (int, error)
	Keep(ctx context.Context, p *vote.Poll, receipts []string, signal vote.Signal, at time.Time) error
}

// Settled is what one pass of Settle did: pending ballots released, kept held for being skewed,
// kept held for having waited PendingFor, and left pending; and the sources it judged skewed.
type Settled struct {
	Released, Skewed, Expired, Waiting int
	SkewedSources                      []string
}

// Settle runs the choice test (see Skew) over the sources of p's pending ballots, as of now, and
// settles what it can: a ballot whose IP address, subnet and group are all clear is released
// (counted at its recording time; the log says by the system); one whose IP address, subnet or
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
	judged := judgeSources(p, list, cc)

	var release, skewed, expired []string
	for _, b := range list {
		switch {
		case judged[b.IP] == Skewed || judged[b.Subnet] == Skewed || judged[b.Group] == Skewed:
			skewed = append(skewed, b.ID)
		case releasable(judged, b):
			release = append(release, b.ID)
		case now.Sub(b.RecordedAt) > PendingFor:
			expired = append(expired, b.ID)
		default:
			out.Waiting++
		}
	}
	for s, j := range judged {
		if j == Skewed {
			out.SkewedSources = append(out.SkewedSources, s)
		}
	}
	slices.Sort(out.SkewedSources)
	for part := range slices.Chunk(skewed, settleChunk) {
		if err := st.Keep(ctx, p, part, vote.SignalSkewed, now); err != nil {
			return out, err
		}
		out.Skewed += len(part)
	}
	for part := range slices.Chunk(expired, settleChunk) {
		if err := st.Keep(ctx, p, part, "", now); err != nil {
			return out, err
		}
		out.Expired += len(part)
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

// judgeSources judges every source of the pending ballots list, each against its Reference less
// the pending ballots left out: none at first; then, again while that changes (up to testRounds
// rounds), those of which a source was suspect in the last round: skewed, or undecided with a
// concentration (a score under ClearAlpha; not a source undecided only for want of a reference,
// which would keep the reference from ever filling at the poll's start). A farm's pending
// ballots, those of its subnets and groups still under SkewMinBallots too, are so left out of
// what the honest sources beside it are compared with, and of what its own other sources are: a
// farm that has not yet shown itself does not pass for the rest of the poll. What is left out is
// a set of ballots (each once, though a farm's address, subnet and group hold the same ones),
// less the judged source's own (its ballots are left out once, as itself): a source compared
// with a rest stripped of its own or a farm's ballots twice would look skewed towards what they
// chose.
func judgeSources(p *vote.Poll, list []vote.HeldBallot, cc vote.ChoiceCounts) map[string]Judgement {
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
	left := make([]bool, len(list)) // left out of the references
	var out map[string]Judgement
	for range testRounds {
		all := choicesOf(list, left, nil)
		out = make(map[string]Judgement, len(sources))
		suspect := map[string]bool{}
		for _, s := range sources {
			src := cc.Sources[s]
			j, score := JudgeSource(p.Fraud, src, Reference(cc, src, without(all, choicesOf(list, left, of[s]))), k)
			out[s], suspect[s] = j, j == Skewed || j == Undecided && score < ClearAlpha
		}
		changed := false
		for i, b := range list {
			if l := suspect[b.IP] || suspect[b.Subnet] || suspect[b.Group]; l != left[i] {
				left[i], changed = l, true
			}
		}
		if !changed {
			break
		}
	}
	return out
}

// releasable reports whether the judgements release b: each of its sources is clear.
func releasable(judged map[string]Judgement, b vote.HeldBallot) bool {
	for _, s := range []string{b.IP, b.Subnet, b.Group} {
		if s != "" && judged[s] != Clear {
			return false
		}
	}
	return true
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
