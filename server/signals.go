package server

import (
	"github.com/livevote/livevote/server/access"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// Limits of the organiser's fraud endpoints.
const (
	// maxTrusted is the most trusted subnets of one poll.
	maxTrusted = 100
	// topSources is how many sources of each kind the signals overview lists.
	topSources = 10
)

// parseSubnet reads a subnet an organiser trusts: a CIDR prefix (or one address) of at least /8
// for IPv4 and /16 for IPv6, normalised (203.0.113.7/24 is 203.0.113.0/24; an address is /32 or
// /128).
func parseSubnet(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, false
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return p, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr().Unmap(); a.Is4() && p.Addr().Is4In6() {
		p = netip.PrefixFrom(a, p.Bits()-96)
	}
	if p.Bits() < 8 || p.Addr().Is6() && p.Bits() < 16 {
		return p, false
	}
	return p.Masked(), true
}

// handleTrusted lists the poll's trusted subnets.
func (s *server) handleTrusted() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		list, err := s.store.Trusted(c.UserContext(), p)
		if err != nil {
			return err
		}
		s.fraud[p.ID].setTrusted(list)
		return c.JSON(fiber.Map{"poll": p.ID, "trusted": list})
	}
}

// handleSetTrusted marks a subnet trusted (POST, body {"subnet":"203.0.113.0/24"}) or no longer
// trusted (DELETE, ?subnet=203.0.113.0/24), for every instance.
func (s *server) handleSetTrusted(trusted bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		raw, err := queryValue(c, "subnet", "")
		if err != nil {
			return err
		}
		if trusted {
			var body struct {
				Subnet string `json:"subnet"`
			}
			if err := decodeStrict(c.Body(), &body); err != nil {
				return err
			}
			raw = body.Subnet
		}
		subnet, ok := parseSubnet(raw)
		if !ok {
			return errInvalidRequest
		}
		if trusted {
			list, err := s.store.Trusted(c.UserContext(), p)
			if err != nil {
				return err
			}
			if len(list) >= maxTrusted {
				return errInvalidRequest
			}
		}
		action := "untrusted"
		if trusted {
			action = "trusted"
		}
		if err := s.logAction(c, p, action, subnet.String()); err != nil {
			return err
		}
		list, err := s.store.SetTrusted(c.UserContext(), p, subnet.String(), trusted)
		if err != nil {
			return err
		}
		s.fraud[p.ID].setTrusted(list)
		s.log.Info("trusted subnets changed", "poll", p.ID, "subnet", subnet.String(), "trusted", trusted)
		return c.JSON(fiber.Map{"poll": p.ID, "trusted": list})
	}
}

// sourceView is one busy source in the signals overview: a hash, never an address. Trusted marks
// the hash of a trusted address or of a /24 (/48) that a trusted prefix covers exactly.
type sourceView struct {
	Hash    string `json:"hash"`
	Ballots int64  `json:"ballots"`
	Trusted bool   `json:"trusted,omitempty"`
}

type windowView struct {
	Ballots        int64        `json:"ballots"`
	TopSubnetShare float64      `json:"top_subnet_share"`
	IPs            []sourceView `json:"ips"`
	Subnets        []sourceView `json:"subnets"`
}

// handleSignals answers the poll's fraud overview: vote attempts by result and the refused ones
// by reason (every instance, as of their last sample; this instance's are added first), signals,
// ballots held for review, the busiest sources of the last minute and hour, the candidates'
// velocity, the trusted subnets and the policy.
func (s *server) handleSignals() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		ctx, pf, now := c.UserContext(), s.fraud[p.ID], s.now()
		if err := s.flush(ctx, pf); err != nil {
			return err
		}
		snap, err := s.store.Snapshot(ctx, p, now)
		if err != nil {
			return err
		}
		src, err := s.store.Sources(ctx, p, now, topSources)
		if err != nil {
			return err
		}
		trusted, err := s.store.Trusted(ctx, p)
		if err != nil {
			return err
		}
		arrivals, err := s.store.Arrivals(ctx, p, now, fraud.NewcomerMinutes)
		if err != nil {
			return err
		}
		pf.setTrusted(trusted)
		mark := s.trustedHashes(pf)
		view := func(w vote.SourceWindow) windowView {
			v := windowView{Ballots: w.Ballots, IPs: []sourceView{}, Subnets: []sourceView{}}
			for _, x := range w.IPs {
				v.IPs = append(v.IPs, sourceView{x.Hash, x.Ballots, mark[x.Hash]})
			}
			for _, x := range w.Subnets {
				v.Subnets = append(v.Subnets, sourceView{x.Hash, x.Ballots, mark[x.Hash]})
			}
			if w.Ballots > 0 && len(w.Subnets) > 0 {
				v.TopSubnetShare = float64(w.Subnets[0].Ballots) / float64(w.Ballots)
			}
			return v
		}
		results := make(map[string]int64, len(voteResults))
		refused := make(map[string]int64, len(voteResults))
		for _, r := range voteResults {
			results[r] = snap.Fraud.Results[r]
			if r != "accepted" && r != "held" {
				refused[r] = snap.Fraud.Results[r]
			}
		}
		signals := make(map[string]int64, len(vote.Signals))
		for _, sig := range vote.Signals {
			signals[string(sig)] = snap.Fraud.Signals[string(sig)]
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{
			"poll":      p.ID,
			"at":        now.UTC().Format(time.RFC3339Nano),
			"results":   results,
			"refused":   refused,
			"signals":   signals,
			"held":      snap.Held,
			"sources":   fiber.Map{"minute": view(src.Minute), "hour": view(src.Hour)},
			"velocity":  pf.velocity.Rates(),
			"newcomers": newcomersOf(p, arrivals, snap.State, now),
			"trusted":   trusted,
			"policy":    policyOf(p.Fraud),
		})
	}
}

// newcomersView is the overview's newcomers (fraud.Newcomers): the last fraud.NewcomerMinutes
// minutes' ballots with a source, those from networks new in the hour and the poll's share of
// them; per candidate the same, with the test's score, marked when far above the poll's.
type newcomersView struct {
	Minutes    int             `json:"minutes"`
	Since      string          `json:"since"`
	Ballots    int64           `json:"ballots"`
	New        int64           `json:"new"`
	Share      float64         `json:"share"`
	Candidates []newcomerCount `json:"candidates"`
	// HeldUntil is when the organiser's hold on new networks ends, absent when none.
	HeldUntil string `json:"held_until,omitempty"`
}

type newcomerCount struct {
	Candidate string  `json:"candidate"`
	Ballots   int64   `json:"ballots"`
	New       int64   `json:"new"`
	Share     float64 `json:"share"`
	Score     float64 `json:"score"`
	Flagged   bool    `json:"flagged"`
}

func newcomersOf(p *vote.Poll, arrivals []vote.Arrivals, st vote.State, now time.Time) newcomersView {
	r := fraud.Newcomers(p, arrivals)
	since := now.Truncate(time.Minute).Add(-(fraud.NewcomerMinutes - 1) * time.Minute)
	v := newcomersView{Minutes: fraud.NewcomerMinutes, Since: since.UTC().Format(time.RFC3339), Ballots: r.Ballots, New: r.New,
		Share: r.Usual, Candidates: make([]newcomerCount, 0, len(r.Candidates))}
	for _, c := range r.Candidates {
		v.Candidates = append(v.Candidates, newcomerCount{c.Candidate, c.Ballots, c.New, c.Share, c.Score, c.Flagged})
	}
	if now.Before(st.HoldNewUntil) {
		v.HeldUntil = st.HoldNewUntil.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// trustedHashes are the source hashes the signals overview marks trusted: those of trusted
// single addresses, and of the /24s (/48s) of trusted prefixes of exactly that size or smaller.
func (s *server) trustedHashes(pf *pollFraud) map[string]bool {
	out := map[string]bool{}
	for _, p := range *pf.trusted.Load() {
		a := p.Addr()
		if p.Bits() == a.BitLen() {
			out[s.keys.SourceHash("ip", a)] = true
		}
		if p.Bits() >= access.Subnet(a).Bits() {
			out[s.keys.SubnetHash(a)] = true
		}
	}
	return out
}

// policyView is a fraud policy as the signals overview shows it.
type policyView struct {
	Hold            bool    `json:"hold"`
	IPPerMinute     int64   `json:"ip_per_minute"`
	IPPerHour       int64   `json:"ip_per_hour"`
	SubnetPerMinute int64   `json:"subnet_per_minute"`
	SubnetPerHour   int64   `json:"subnet_per_hour"`
	IPHardCap       int64   `json:"ip_hard_cap"`
	MinVoteTime     string  `json:"min_vote_time"`
	VelocityRatio   float64 `json:"velocity_ratio"`
	VelocityMinRate float64 `json:"velocity_min_rate"`
	WeakToHold      int     `json:"weak_signals_to_hold"`
	SkewMinBallots  int64   `json:"skew_min_ballots"`
	SkewAlpha       float64 `json:"skew_alpha"`
}

func policyOf(f vote.FraudPolicy) policyView {
	return policyView{f.Hold, f.IPPerMinute, f.IPPerHour, f.SubnetPerMinute, f.SubnetPerHour, f.IPHardCap,
		f.MinVoteTime.String(), f.VelocityRatio, f.VelocityMinRate, f.WeakToHold, f.SkewMinBallots, f.SkewAlpha}
}
