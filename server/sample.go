package server

import (
	"context"
	"time"
)

// Sampling of the polls (the sampler goroutine, see sample).
const (
	// defaultSampleEvery is how often each poll is sampled when Config.SampleEvery is 0.
	defaultSampleEvery = 5 * time.Second
	// sampleTimeout bounds each store call of a sample.
	sampleTimeout = 2 * time.Second
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
