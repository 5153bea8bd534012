package redisstore

import (
	"github.com/livevote/livevote/vote"
)
import "context"

// CastTogether casts bs, all recorded in the same minute, into p as one batch: one cast script.
// It returns what Cast would have returned for each.
func CastTogether(s *Store, p *vote.Poll, bs []vote.Ballot) ([]vote.Counted, []error) {
	calls := make([]*castCall, len(bs))
	g := castGroup{}
	for i, b := range bs {
		calls[i] = &castCall{ctx: context.Background(), done: make(chan struct{}, 1)}
		calls[i].set(s.keysOf(p), p, b)
		g.calls = append(g.calls, calls[i])
	}
	s.sendCasts([]castGroup{g}, nil)
	got, errs := make([]vote.Counted, len(bs)), make([]error, len(bs))
	for i, c := range calls {
		<-c.done
		if c.err != nil {
			errs[i] = vote.Unavailable(c.err)
		} else {
			got[i], errs[i] = castReply(c.res)
		}
	}
	return got, errs
}
