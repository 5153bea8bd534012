package server

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// maxGroupScan is the most held ballots (the oldest) the grouped review reads and one group
// action settles; a larger backlog is settled by sending the action again.
const maxGroupScan = 10000

// heldGroup is the held ballots of one source held for one reason (the signal that decided the
// hold, vote.HeldFor; "none" for ballots recorded held without signals), as the organiser reviews
// them: how many, from how many addresses and subnets, over what time, what they chose beside the
// poll's last hour (organisers see choices whatever the results' visibility), how many still
// wait for the choice test, and what the test says of the source now. The source is a keyed hash
// (By names its level): a subnet's, or a group's when the group's held ballots come from more
// than one subnet (a farm spread over many /24s is one group, not hundreds of small ones; see
// sourceOfHeld); "" for ballots recorded without a source.
type heldGroup struct {
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

// The levels of a heldGroup's source (By).
const (
	bySubnet = "subnet"
	byGroup  = "group"
	// byNew: the ballots held for being the first of their networks while the organiser held
	// new networks (signal new_network), one group under the source newNetworks.
	byNew = "new_networks"
)

// heldByGroup reads up to maxGroupScan held ballots of p and groups them by source (see
// sourceOfHeld) and reason.
func (s *server) heldByGroup(c *fiber.Ctx, p *vote.Poll) (map[groupKey][]vote.HeldBallot, error) {
	held, err := s.store.Held(c.UserContext(), p, maxGroupScan)
	if err != nil {
		return nil, err
	}
	source := sourceOfHeld(held)
	out := map[groupKey][]vote.HeldBallot{}
	for _, b := range held {
		k := groupKey{source(b), cmp.Or(vote.HeldFor(p.Fraud, b.Signals), "none")}
		out[k] = append(out[k], b)
	}
	return out, nil
}

// sourceOfHeld returns, for the held ballots held, the source each is reviewed under: newNetworks
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
			return newNetworks
		}
		if len(subnets[b.Group]) > 1 {
			return b.Group
		}
		return b.Subnet
	}
}

// handleHeldGroups lists the held ballots grouped by source and reason, largest group first,
// with the poll's choices in the last hour to compare with.
func (s *server) handleHeldGroups() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		ctx, now := c.UserContext(), s.now()
		groups, err := s.heldByGroup(c, p)
		if err != nil {
			return err
		}
		pending, err := s.store.Pending(ctx, p, maxGroupScan)
		if err != nil {
			return err
		}
		waiting := make(map[string]bool, len(pending))
		for _, b := range pending {
			waiting[b.ID] = true
		}
		var sources []string
		for k := range groups {
			if k.source != "" && k.source != newNetworks && !slices.Contains(sources, k.source) {
				sources = append(sources, k.source)
			}
		}
		cc, err := s.store.Choices(ctx, p, now, sources)
		if err != nil {
			return err
		}
		// The judgement as Settle makes it between rounds: the power against the poll's reference.
		power := fraud.Power(fraud.Reference(cc, vote.ChoiceCount{}), len(p.Candidates))
		out := make([]heldGroup, 0, len(groups))
		for k, list := range groups {
			g := heldGroup{Source: k.source, By: bySubnet, Signal: k.signal, Count: len(list), Choices: map[string]int64{},
				First: list[0].RecordedAt, Last: list[len(list)-1].RecordedAt}
			ips, subnets, signals := map[string]bool{}, map[string]bool{}, []vote.Signal{}
			for _, b := range list {
				ips[b.IP], subnets[b.Subnet] = true, true
				if k.source != "" && k.source == b.Group {
					g.By = byGroup
				}
				if k.source == newNetworks {
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
			if k.source != "" && k.source != newNetworks {
				src := cc.Sources[k.source]
				j, score := fraud.JudgeSource(p.Fraud, src, fraud.Reference(cc, src), len(p.Candidates), fraud.RestMinBallots, power)
				g.Judgment, g.Score = j.String(), &score
			}
			out = append(out, g)
		}
		slices.SortFunc(out, func(a, b heldGroup) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Signal, b.Signal))
		})
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"poll": p.ID, "at": now.UTC(), "groups": out,
			"hour": fiber.Map{"ballots": cc.Poll.Ballots, "choices": orEmpty(cc.Poll.Tally)}})
	}
}

func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return maps.Clone(m)
}

// handleGroupReview releases or voids a whole group of held ballots: {"source":"<hash>",
// "signal":"<signal>","action":"release"|"void","until":"<time>"}. Only the group's ballots
// recorded at or before until (the group's last as the organiser saw it) are settled, each in
// its own atomic step as handleReview does; ballots settled meanwhile (by another console, or
// released automatically) are skipped.
func (s *server) handleGroupReview() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		var body struct {
			Source string      `json:"source"`
			Signal vote.Signal `json:"signal"`
			Action string      `json:"action"`
			Until  time.Time   `json:"until"`
		}
		if err := decodeStrict(c.Body(), &body); err != nil {
			return err
		}
		if !reviewAction(body.Action) || body.Signal == "" || body.Until.IsZero() {
			return errInvalidRequest
		}
		groups, err := s.heldByGroup(c, p)
		if err != nil {
			return err
		}
		reviewed, skipped := 0, 0
		for _, b := range groups[groupKey{body.Source, body.Signal}] {
			if b.RecordedAt.After(body.Until) {
				continue
			}
			_, err := s.store.Review(c.UserContext(), p, b.ID, body.Action == "release", s.now())
			switch {
			case errors.Is(err, vote.ErrNotHeld), errors.Is(err, vote.ErrReceiptNotFound):
				skipped++
			case err != nil:
				s.log.Warn("group review stopped", "poll", p.ID, "reviewed", reviewed, "err", err)
				return err
			default:
				reviewed++
			}
		}
		s.log.Info("held group reviewed", "poll", p.ID, "action", body.Action, "signal", body.Signal, "reviewed", reviewed)
		if reviewed > 0 {
			if err := s.corrected(c, p); err != nil {
				return err
			}
		}
		return c.JSON(fiber.Map{"poll": p.ID, "action": body.Action, "source": body.Source, "signal": body.Signal,
			"reviewed": reviewed, "skipped": skipped})
	}
}
