package fraud

import (
	"context"
	"time"

	"github.com/livevote/livevote/vote"
)

// topSources is how many sources of each kind the signals overview lists.
const topSources = 10

// Overview is a poll's fraud overview for the organiser (GET .../signals, docs/API.md): vote
// attempts by result and the refused ones by reason (every instance, as of their last sample),
// signals, ballots held for review, the busiest sources of the last minute and hour, the
// candidates' velocity, the newcomers, the trusted subnets and the policy. Its fields are in the
// order of their names, as the answer always listed them.
type Overview struct {
	At        string           `json:"at"`
	Held      int64            `json:"held"`
	Newcomers NewcomersView    `json:"newcomers"`
	Policy    PolicyView       `json:"policy"`
	Poll      string           `json:"poll"`
	Refused   map[string]int64 `json:"refused"`
	Results   map[string]int64 `json:"results"`
	Signals   map[string]int64 `json:"signals"`
	Sources   struct {
		Hour   WindowView `json:"hour"`
		Minute WindowView `json:"minute"`
	} `json:"sources"`
	Trusted  []string `json:"trusted"`
	Velocity []Rate   `json:"velocity"`
}

// SourceView is one busy source in the overview: a hash, never an address. Trusted marks the hash
// of a trusted address or of a /24 (/48) that a trusted prefix covers exactly.
type SourceView struct {
	Hash    string `json:"hash"`
	Ballots int64  `json:"ballots"`
	Trusted bool   `json:"trusted,omitempty"`
}

// WindowView is one window of the overview's sources.
type WindowView struct {
	Ballots        int64        `json:"ballots"`
	TopSubnetShare float64      `json:"top_subnet_share"`
	IPs            []SourceView `json:"ips"`
	Subnets        []SourceView `json:"subnets"`
}

// Overview answers p's fraud overview, this instance's counts added to the store's first.
func (c *Checks) Overview(ctx context.Context, p *vote.Poll) (Overview, error) {
	ps, now := c.polls[p.ID], c.now()
	var o Overview
	if err := c.flush(ctx, ps); err != nil {
		return o, err
	}
	snap, err := c.store.Snapshot(ctx, p, now)
	if err != nil {
		return o, err
	}
	src, err := c.store.Sources(ctx, p, now, topSources)
	if err != nil {
		return o, err
	}
	trusted, err := c.store.Trusted(ctx, p)
	if err != nil {
		return o, err
	}
	arrivals, err := c.store.Arrivals(ctx, p, now, NewcomerMinutes)
	if err != nil {
		return o, err
	}
	ps.setTrusted(trusted)
	mark := c.trustedHashes(ps)
	view := func(w vote.SourceWindow) WindowView {
		v := WindowView{Ballots: w.Ballots, IPs: []SourceView{}, Subnets: []SourceView{}}
		for _, x := range w.IPs {
			v.IPs = append(v.IPs, SourceView{x.Hash, x.Ballots, mark[x.Hash]})
		}
		for _, x := range w.Subnets {
			v.Subnets = append(v.Subnets, SourceView{x.Hash, x.Ballots, mark[x.Hash]})
		}
		if w.Ballots > 0 && len(w.Subnets) > 0 {
			v.TopSubnetShare = float64(w.Subnets[0].Ballots) / float64(w.Ballots)
		}
		return v
	}
	o.Results, o.Refused = make(map[string]int64, len(c.results)), make(map[string]int64, len(c.results))
	for r := range c.results {
		o.Results[r] = snap.Fraud.Results[r]
		if r != "accepted" && r != "held" {
			o.Refused[r] = snap.Fraud.Results[r]
		}
	}
	o.Signals = make(map[string]int64, len(vote.Signals))
	for _, sig := range vote.Signals {
		o.Signals[string(sig)] = snap.Fraud.Signals[string(sig)]
	}
	o.Poll, o.At, o.Held = p.ID, now.UTC().Format(time.RFC3339Nano), snap.Held
	o.Sources.Minute, o.Sources.Hour = view(src.Minute), view(src.Hour)
	o.Velocity, o.Newcomers = ps.velocity.Rates(), newcomersOf(p, arrivals, snap.State, now)
	o.Trusted, o.Policy = trusted, policyOf(p.Fraud)
	return o, nil
}

// NewcomersView is the overview's newcomers (Newcomers): the last NewcomerMinutes minutes'
// ballots with a source, those from networks new in the hour and the poll's share of them; per
// candidate the same, with the test's score, marked when far above the poll's.
type NewcomersView struct {
	Minutes    int             `json:"minutes"`
	Since      string          `json:"since"`
	Ballots    int64           `json:"ballots"`
	New        int64           `json:"new"`
	Share      float64         `json:"share"`
	Candidates []NewcomerShare `json:"candidates"`
	// HeldUntil is when the organiser's hold on new networks ends, absent when none.
	HeldUntil string `json:"held_until,omitempty"`
}

// NewcomerShare is one candidate's part of a NewcomersView.
type NewcomerShare struct {
	Candidate string  `json:"candidate"`
	Ballots   int64   `json:"ballots"`
	New       int64   `json:"new"`
	Share     float64 `json:"share"`
	Score     float64 `json:"score"`
	Flagged   bool    `json:"flagged"`
}

func newcomersOf(p *vote.Poll, arrivals []vote.Arrivals, st vote.State, now time.Time) NewcomersView {
	r := Newcomers(p, arrivals)
	since := now.Truncate(time.Minute).Add(-(NewcomerMinutes - 1) * time.Minute)
	v := NewcomersView{Minutes: NewcomerMinutes, Since: since.UTC().Format(time.RFC3339), Ballots: r.Ballots, New: r.New,
		Share: r.Usual, Candidates: make([]NewcomerShare, 0, len(r.Candidates))}
	for _, c := range r.Candidates {
		v.Candidates = append(v.Candidates, NewcomerShare{c.Candidate, c.Ballots, c.New, c.Share, c.Score, c.Flagged})
	}
	if now.Before(st.HoldNewUntil) {
		v.HeldUntil = st.HoldNewUntil.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// PolicyView is a fraud policy as the overview shows it.
type PolicyView struct {
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

func policyOf(f vote.FraudPolicy) PolicyView {
	return PolicyView{f.Hold, f.IPPerMinute, f.IPPerHour, f.SubnetPerMinute, f.SubnetPerHour, f.IPHardCap,
		f.MinVoteTime.String(), f.VelocityRatio, f.VelocityMinRate, f.WeakToHold, f.SkewMinBallots, f.SkewAlpha}
}
