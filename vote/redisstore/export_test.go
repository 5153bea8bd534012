package redisstore

import (
	"github.com/livevote/livevote/vote"
)
import "context"

// CastTogether casts bs, all recorded in the same minute, into p as one batch: one cast script.
// It returns what Cast would have returned for each, and fills in their Sources as Cast does.
func CastTogether(s *Store, p *vote.Poll, bs []vote.Ballot) []error {
	calls := make([]*castCall, len(bs))
	g := castGroup{}
	for i, b := range bs {
		calls[i] = &castCall{ctx: context.Background(), done: make(chan struct{}, 1)}
		calls[i].set(s.keysOf(p), p, b)
		g.calls = append(g.calls, calls[i])
	}
	s.sendCasts([]castGroup{g}, nil)
	errs := make([]error, len(bs))
	for i, c := range calls {
		<-c.done
		if c.err != nil {
			errs[i] = vote.Unavailable(c.err)
		} else {
			errs[i] = castReply(c.res, bs[i])
		}
	}
	return errs
}
