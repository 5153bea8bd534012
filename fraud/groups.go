package fraud

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/livevote/livevote/vote"
)

// MaxGroupScan is the most held ballots (the oldest) the grouped review reads and one group
// action settles; a larger backlog is settled by sending the action again.
const MaxGroupScan = 10000

// NewNetworks is the source under which the ballots held for being new are reviewed: one group,
// whatever their networks (each is a network of its own). No keyed hash is this.
const NewNetworks = "new-networks"

// HeldGroup is the held ballots of one source held for one reason (the signal that decided the
// hold, HeldFor; "none" for ballots recorded held without signals), as the organiser reviews
// them: how many, from how many addresses and subnets, over what time, what they chose beside the
// poll's last hour (organisers see choices whatever the results' visibility), how many still
// wait for the choice test, and what the test says of the source now. The source is a keyed hash
// (By names its level): a subnet's, or a group's when the group's held ballots come from more
// than one subnet (a farm spread over many /24s is one group, not hundreds of small ones; see
// sourceOfHeld); "" for ballots recorded without a source.
type HeldGroup struct {
	Source   string           `json:"source"`
	By       string           `json:"by"`
	Signal   vote.Signal      `json:"signal"`
	Signals  []vote.Signal    `json:"signals"`
	Count    int              `json:"count"`
	IPs      int              `json:"ips"`
	Subnets  int              `json:"subnets"`
	Pending  int              `json:"pending"`
	First    time.Time        `json:"first"`
	Last     time.Time        `json:"last"`
	Choices  map[string]int64 `json:"choices"`
	Judgment string           `json:"judgement,omitempty"`
	Score    *float64         `json:"score,omitempty"`
}

// groupKey names a group: its source and reason.
type groupKey struct {
	source string
	signal vote.Signal
}

// The levels of a HeldGroup's source (By).
const (
	bySubnet = "subnet"
	byGroup  = "group"
	// byNew: the ballots held for being the first of their networks while the organiser held
	// new networks (signal new_network), one group under the source NewNetworks.
	byNew = "new_networks"
)

// heldByGroup reads up to MaxGroupScan held ballots of p and groups them by source (see
// sourceOfHeld) and reason.
func (c *Checks) heldByGroup(ctx context.Context, p *vote.Poll) (map[groupKey][]vote.HeldBallot, error) {
	held, err := c.store.Held(ctx, p, MaxGroupScan)
	if err != nil {
		return nil, err
	}
	source := sourceOfHeld(held)
	out := map[groupKey][]vote.HeldBallot{}
	for _, b := range held {
		k := groupKey{source(b), cmp.Or(HeldFor(p.Fraud, b.Signals), "none")}
		out[k] = append(out[k], b)
	}
	return out, nil
}

// sourceOfHeld returns, for the held ballots held, the source each is reviewed under: NewNetworks
// for a ballot held as a new network (one group of them, each a network of its own); its group's
// hash when the group's held ballots come from more than one subnet, else its subnet's. Group and
// subnet hashes are keyed hashes of different kinds: a source names its level.
func sourceOfHeld(held []vote.HeldBallot) func(vote.HeldBallot) string {
	subnets := map[string]map[string]bool{} // group -> its held ballots' subnets
	for _, b := range held {
		if b.Group != "" {
			if subnets[b.Group] == nil {
				subnets[b.Group] = map[string]bool{}
			}
			subnets[b.Group][b.Subnet] = true
		}
	}
	return func(b vote.HeldBallot) string {
		if slices.Contains(b.Signals, vote.SignalNewNetwork) {
			return NewNetworks
		}
		if len(subnets[b.Group]) > 1 {
			return b.Group
		}
		return b.Subnet
	}
}

// Groups is the organiser's review by group (GET .../held/groups, docs/API.md): the held ballots
// grouped by source and reason, largest group first, and the poll's last hour to compare with.
// Its fields are in the order of their names, as the answer always listed them.
type Groups struct {
	At     time.Time   `json:"at"`
	Groups []HeldGroup `json:"groups"`
	Hour   struct {
		Ballots int64            `json:"ballots"`
		Choices map[string]int64 `json:"choices"`
	} `json:"hour"`
	Poll string `json:"poll"`
}

// HeldGroups lists p's held ballots grouped by source and reason (see HeldGroup), largest group
// first, with the poll's choices in the last hour to compare with.
func (c *Checks) HeldGroups(ctx context.Context, p *vote.Poll) (Groups, error) {
	now := c.now()
	groups, err := c.heldByGroup(ctx, p)
	if err != nil {
		return Groups{}, err
	}
	pending, err := c.store.Pending(ctx, p, MaxGroupScan)
	if err != nil {
		return Groups{}, err
	}
	waiting := make(map[string]bool, len(pending))
	for _, b := range pending {
		waiting[b.ID] = true
	}
	var sources []string
	for k := range groups {
		if k.source != "" && k.source != NewNetworks && !slices.Contains(sources, k.source) {
			sources = append(sources, k.source)
		}
	}
	cc, err := c.store.Choices(ctx, p, now, sources)
	if err != nil {
		return Groups{}, err
	}
	// The judgement as Settle makes it between rounds: the power against the poll's reference.
	power := Power(Reference(cc, vote.ChoiceCount{}), len(p.Candidates))
	out := make([]HeldGroup, 0, len(groups))
	for k, list := range groups {
		g := HeldGroup{Source: k.source, By: bySubnet, Signal: k.signal, Count: len(list), Choices: map[string]int64{},
			First: list[0].RecordedAt, Last: list[len(list)-1].RecordedAt}
		ips, subnets, signals := map[string]bool{}, map[string]bool{}, []vote.Signal{}
		for _, b := range list {
			ips[b.IP], subnets[b.Subnet] = true, true
			if k.source != "" && k.source == b.Group {
				g.By = byGroup
			}
			if k.source == NewNetworks {
				g.By = byNew
			}
			signals = vote.MergeSignals(signals, b.Signals)
			for _, ch := range b.Choices {
				g.Choices[ch]++
			}
			if waiting[b.ID] {
				g.Pending++
			}
		}
		delete(ips, "")
		delete(subnets, "")
		g.IPs, g.Subnets, g.Signals = len(ips), len(subnets), signals
		if k.source != "" && k.source != NewNetworks {
			src := cc.Sources[k.source]
			j, score := JudgeSource(p.Fraud, src, Reference(cc, src), len(p.Candidates), RestMinBallots, power)
			g.Judgment, g.Score = j.String(), &score
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b HeldGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Signal, b.Signal))
	})
	g := Groups{At: now.UTC(), Groups: out, Poll: p.ID}
	g.Hour.Ballots, g.Hour.Choices = cc.Poll.Ballots, orEmpty(cc.Poll.Tally)
	return g, nil
}

func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return maps.Clone(m)
}

// ReviewGroup releases (release) or voids a whole group of p's held ballots, the one of source
// and signal (see HeldGroups): only its ballots recorded at or before until (the group's last as
// the organiser saw it) are settled, each in its own atomic step as a single review is; ballots
// settled meanwhile (by another console, or released automatically) are skipped. It returns how
// many it reviewed and skipped; after an error, some may have been reviewed.
func (c *Checks) ReviewGroup(ctx context.Context, p *vote.Poll, source string, signal vote.Signal, release bool, until time.Time) (reviewed, skipped int, err error) {
	groups, err := c.heldByGroup(ctx, p)
	if err != nil {
		return 0, 0, err
	}
	for _, b := range groups[groupKey{source, signal}] {
		if b.RecordedAt.After(until) {
			continue
		}
		_, err := c.store.Review(ctx, p, b.ID, release, c.now())
		switch {
		case errors.Is(err, vote.ErrNotHeld), errors.Is(err, vote.ErrReceiptNotFound):
			skipped++
		case err != nil:
			c.log.Warn("group review stopped", "poll", p.ID, "reviewed", reviewed, "err", err)
			return reviewed, skipped, err
		default:
			reviewed++
		}
	}
	return reviewed, skipped, nil
}
