package server

import (
	"encoding/json"
	"sync/atomic"

	"github.com/livevote/livevote/vote"
)

// pollViews keeps the answer of GET /api/v1/polls/{poll} encoded, per poll, for the state it was
// encoded in: every ballot page asks for it, and encoding the candidates' texts cost the server
// more than the rest of the request (BENCHMARKS.md, "Votes first"). The view is a function of the
// poll, which does not change while the server runs, and of its vote.State; a state other than the
// one kept encodes again and replaces it.
type pollViews map[string]*atomic.Pointer[encodedView] // read only after newPollViews

type encodedView struct {
	state vote.State
	body  []byte // never modified once kept
}

func newPollViews(polls []*vote.Poll) pollViews {
	pv := make(pollViews, len(polls))
	for _, p := range polls {
		pv[p.ID] = new(atomic.Pointer[encodedView])
	}
	return pv
}

// get returns the JSON of newPollView(p, st). The caller must not modify it.
func (pv pollViews) get(p *vote.Poll, st vote.State) ([]byte, error) {
	slot := pv[p.ID]
	if e := slot.Load(); e != nil && e.state == st {
		return e.body, nil
	}
	body, err := json.Marshal(newPollView(p, st))
	if err != nil {
		return nil, err
	}
	slot.Store(&encodedView{state: st, body: body})
	return body, nil
}
