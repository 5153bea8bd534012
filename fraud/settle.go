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
	// choice counters of their addresses and subnets (at most twice as many sources, each a field
	// per candidate), so this bounds a pass's cost to the store; 2,000 every 2 s is a thousand
	// releases a second per instance, far beyond a ceremony's rush.
	settleMax = 2000
	// settleChunk is the most ballots one Release or Keep call takes.
	settleChunk = 1000
	// PendingFor is how long a pending ballot may wait for the test to clear its source: after
	// that its source's window has moved on, and the ballot is left held for the organiser.
	PendingFor = 30 * time.Minute
	// testRounds bounds the rounds of Settle's subnet tests (see Settle).
	testRounds = 3
)

// PendingStore is what Settle needs of a store (vote.Records and vote.Sources have it).
type PendingStore interface {
	Pending(ctx context.Context, p *vote.Poll, limit int) ([]vote.HeldBallot, error)
	Choices(ctx context.Context, p *vote.Poll, now time.Time, sources []string) (vote.ChoiceCounts, error)
	Release(ctx context.Context, p *vote.Poll, receipts []string, at time.Time) (int, error)
	Keep(ctx context.Context, p *vote.Poll, receipts []string, signal vote.Signal) error
}

// Settled is what one pass of Settle did: pending ballots released, kept held for being skewed,
// kept held for having waited PendingFor, and left pending; and the sources it judged skewed.
type Settled struct {
	Released, Skewed, Expired, Waiting int
	SkewedSources                      []string
}

// Settle runs the choice test (see Skew) over the sources of p's pending ballots, as of now, and
// settles what it can: a ballot whose IP address and subnet are both clear is released (counted
// at its recording time; the log says by the system); one whose IP address or subnet is skewed
// stays held for the organiser, with the signal skewed; one older than PendingFor stays held as it
// is; the rest wait for the next pass. Each source is compared with the rest of the poll less
// the subnets found skewed (in up to testRounds rounds), so that a farm's other subnets do not
// make it look like the rest. Any number of instances may run Settle at once: the store
// settles each ballot once. With the test off (SkewMinBallots 0) it does nothing.
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
		for _, s := range []string{b.IP, b.Subnet} {
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
		ip, net := judged[b.IP], judged[b.Subnet]
		switch {
		case ip == Skewed || net == Skewed:
			skewed = append(skewed, b.ID)
		case (b.IP == "" || ip == Clear) && (b.Subnet == "" || net == Clear):
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
	for part := range slices.Chunk(skewed, settleChunk) {
		if err := st.Keep(ctx, p, part, vote.SignalSkewed); err != nil {
			return out, err
		}
		out.Skewed += len(part)
	}
	for part := range slices.Chunk(expired, settleChunk) {
		if err := st.Keep(ctx, p, part, ""); err != nil {
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

// judgeSources judges every source of the pending ballots list. Subnets first: each against the
// poll less itself and less the subnets found skewed so far, again while a round finds new ones;
// then addresses, against the poll less themselves and the skewed subnets.
func judgeSources(p *vote.Poll, list []vote.HeldBallot, cc vote.ChoiceCounts) map[string]Judgement {
	subnets, ips := map[string]bool{}, map[string]bool{}
	for _, b := range list {
		if b.Subnet != "" {
			subnets[b.Subnet] = true
		}
		if b.IP != "" {
			ips[b.IP] = true
		}
	}
	k := len(p.Candidates)
	out := map[string]Judgement{}
	var excluded []vote.ChoiceCount
	for range testRounds {
		found := false
		for s := range subnets {
			if out[s] == Skewed {
				continue
			}
			src := cc.Sources[s]
			j, _ := JudgeSource(p.Fraud, src, without(cc.Poll, append([]vote.ChoiceCount{src}, excluded...)...), k)
			if out[s] = j; j == Skewed {
				excluded, found = append(excluded, src), true
			}
		}
		if !found {
			break
		}
	}
	for ip := range ips {
		src := cc.Sources[ip]
		out[ip], _ = JudgeSource(p.Fraud, src, without(cc.Poll, append([]vote.ChoiceCount{src}, excluded...)...), k)
	}
	return out
}
