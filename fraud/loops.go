package fraud

import (
	"context"
	"time"

	"github.com/livevote/livevote/vote"
)

// Sample runs until ctx is done: every Config.Every, for every poll, it adds this instance's
// fraud counts to the store, reads the poll's snapshot (the candidates' velocity, the
// Observer's Poll), its trusted subnets and its busiest sources (the top subnet's share, for
// the Observer's Fraud). When ctx is done it shares the last counts, so that the shared counters
// miss as little as possible.
func (c *Checks) Sample(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		for _, p := range c.order {
			c.sampleOne(ctx, c.polls[p.ID])
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sampleTimeout)
			for _, p := range c.order {
				_ = c.flush(fctx, c.polls[p.ID])
			}
			cancel()
			return
		case <-t.C:
		}
	}
}

func (c *Checks) sampleOne(ctx context.Context, ps *pollState) {
	ctx, cancel := context.WithTimeout(ctx, sampleTimeout)
	defer cancel()
	p, now := ps.poll, c.now()
	if err := c.flush(ctx, ps); err != nil {
		c.log.Debug("fraud counters not shared", "poll", p.ID, "err", err)
	}
	if trusted, err := c.store.Trusted(ctx, p); err == nil {
		ps.setTrusted(trusted)
	}
	if snap, err := c.store.Snapshot(ctx, p, now); err == nil {
		ps.velocity.Observe(now, snap.Tally)
		c.obs.Poll(snap)
	}
	share := 0.0
	if src, err := c.store.Sources(ctx, p, now, 1); err == nil && src.Minute.Ballots > 0 && len(src.Minute.Subnets) > 0 {
		share = float64(src.Minute.Subnets[0].Ballots) / float64(src.Minute.Ballots)
	}
	c.obs.Fraud(p.ID, share, ps.velocity.SurgingCount())
}

// Settle runs until ctx is done: every 2 s (or Config.Every when shorter), for every poll, it
// settles the pending ballots (the function Settle); once the poll is closed, the last pass
// (SettleClosed) decides every pending ballot, counted or held for the organiser with its
// reason, within one interval of the close. Every instance runs it; the store settles each
// ballot once. After a pass that released ballots it calls released (the program records a
// correction when the results were revealed already: released after the reveal is never
// silent); an error it returns is logged.
func (c *Checks) Settle(ctx context.Context, released func(ctx context.Context, p *vote.Poll) error) {
	t := time.NewTicker(min(c.every, settleEvery))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range c.order {
			c.settleOne(ctx, c.polls[p.ID], released)
		}
	}
}

func (c *Checks) settleOne(ctx context.Context, ps *pollState, released func(ctx context.Context, p *vote.Poll) error) {
	ctx, cancel := context.WithTimeout(ctx, sampleTimeout)
	defer cancel()
	p, now, settle := ps.poll, c.now(), Settle
	if st, err := c.store.State(ctx, p); err == nil && p.Effective(st.Status, now) == vote.StatusClosed {
		settle = SettleClosed
	}
	done, err := settle(ctx, c.store, p, now)
	if err != nil {
		c.log.Debug("pending ballots not settled", "poll", p.ID, "err", err)
	}
	if done.Skewed > 0 {
		ps.signals[signalIndex(vote.SignalSkewed)].Add(int64(done.Skewed))
		c.log.Info("skewed sources: their pending ballots stay held", "poll", p.ID, "ballots", done.Skewed, "sources", len(done.SkewedSources))
	}
	if done.Alone+done.Undecided > 0 {
		c.log.Info("the close: pending ballots the choice test could not decide stay held for the organiser", "poll", p.ID,
			"alone", done.Alone, "undecided", done.Undecided)
	}
	c.obs.Settled(p.ID, done.Released, done.Skewed)
	if done.Released > 0 && released != nil {
		if err := released(ctx, p); err != nil {
			c.log.Warn("correction not recorded", "poll", p.ID, "err", err)
		}
	}
}
