package server

import (
	"context"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// Sampling of the polls (the sampler goroutine, see sample).
const (
	// defaultSampleEvery is how often each poll is sampled when Config.SampleEvery is 0.
	defaultSampleEvery = 5 * time.Second
	// sampleTimeout bounds each store call of a sample.
	sampleTimeout = 2 * time.Second
	// settleEvery is how often each poll's pending ballots are settled (at most: the sample's
	// interval when shorter): a pending ballot of a source that votes like the rest of the poll
	// is public within about this much after its source has enough ballots.
	settleEvery = 2 * time.Second
)

// sample runs until ctx is done: every interval, for every poll, it adds this instance's fraud
// counts to the store, reads the poll's snapshot (the candidates' velocity, metrics), its trusted
// subnets and its busiest sources (the top subnet's share, for metrics).
func (s *server) sample(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, p := range s.order {
			s.sampleOne(ctx, s.fraud[p.ID])
		}
		select {
		case <-ctx.Done():
			// The last counts, so that the shared counters miss as little as possible.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sampleTimeout)
			for _, p := range s.order {
				_ = s.flush(fctx, s.fraud[p.ID])
			}
			cancel()
			return
		case <-t.C:
		}
	}
}

func (s *server) sampleOne(ctx context.Context, pf *pollFraud) {
	ctx, cancel := context.WithTimeout(ctx, sampleTimeout)
	defer cancel()
	p, now := pf.poll, s.now()
	if err := s.flush(ctx, pf); err != nil {
		s.log.Debug("fraud counters not shared", "poll", p.ID, "err", err)
	}
	if trusted, err := s.store.Trusted(ctx, p); err == nil {
		pf.setTrusted(trusted)
	}
	if snap, err := s.store.Snapshot(ctx, p, now); err == nil {
		pf.velocity.Observe(now, snap.Tally)
		s.obs.Poll(snap)
	}
	share := 0.0
	if src, err := s.store.Sources(ctx, p, now, 1); err == nil && src.Minute.Ballots > 0 && len(src.Minute.Subnets) > 0 {
		share = float64(src.Minute.Subnets[0].Ballots) / float64(src.Minute.Ballots)
	}
	s.obs.Fraud(p.ID, share, pf.velocity.SurgingCount())
}

// settle runs until ctx is done: every interval, for every poll, it runs the choice test over the
// sources of the pending ballots and releases those of sources that vote like the rest of the
// poll (fraud.Settle); once the poll is closed, the last pass (fraud.SettleClosed) decides every
// pending ballot, counted or held for the organiser with its reason, within one interval of the
// close. Every instance runs it; the store settles each ballot once.
func (s *server) settle(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range s.order {
			s.settleOne(ctx, s.fraud[p.ID])
		}
	}
}

func (s *server) settleOne(ctx context.Context, pf *pollFraud) {
	ctx, cancel := context.WithTimeout(ctx, sampleTimeout)
	defer cancel()
	now, settle := s.now(), fraud.Settle
	if st, err := s.states.get(ctx, pf.poll); err == nil && st.Status == vote.StatusClosed {
		settle = fraud.SettleClosed
	}
	done, err := settle(ctx, s.store, pf.poll, now)
	if err != nil {
		s.log.Debug("pending ballots not settled", "poll", pf.poll.ID, "err", err)
	}
	if done.Skewed > 0 {
		pf.signals[signalIndex[vote.SignalSkewed]].Add(int64(done.Skewed))
		s.log.Info("skewed sources: their pending ballots stay held", "poll", pf.poll.ID, "ballots", done.Skewed, "sources", len(done.SkewedSources))
	}
	if done.Alone+done.Undecided > 0 {
		s.log.Info("the close: pending ballots the choice test could not decide stay held for the organiser", "poll", pf.poll.ID,
			"alone", done.Alone, "undecided", done.Undecided)
	}
	s.obs.Settled(pf.poll.ID, done.Released, done.Skewed)
	if done.Released > 0 { // released after the reveal: a correction, never silent
		if err := s.markCorrected(ctx, pf.poll, vote.ReleasedBy); err != nil {
			s.log.Warn("correction not recorded", "poll", pf.poll.ID, "err", err)
		}
	}
}
