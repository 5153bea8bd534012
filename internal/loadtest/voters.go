package loadtest

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/livevote/livevote/internal/apiclient"

	"github.com/valyala/fasthttp"
)

// voter is one prepared voter: its cookie and, when the poll asks for proof of work, a solved
// challenge (the vote's "pow" object).
type voter struct {
	cookie []byte
	pow    []byte
}

// prepare gets n voters (cookies, and solved challenges) with the given concurrency, telling
// progress on tell.
func (a *api) prepare(ctx context.Context, n, workers int, poll string, difficulty int, tell func(string)) ([]voter, error) {
	voters := make([]voter, n)
	err := forEach(ctx, n, workers, "preparing voters", tell, func(i int) error {
		v, err := a.newVoter(ctx, poll, difficulty)
		if err != nil {
			return fmt.Errorf("preparing voters: %w", err)
		}
		voters[i] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return voters, nil
}

// worker is one of the timed phase's request loops. Each owns its counters; they are summed at
// the end.
type worker struct {
	latency histogram // from the arrival's scheduled time to the answer (coordinated omission corrected)
	service histogram // from sending to the answer
	sent    int64
	acked   int64
	missed  int64
	unknown int64 // requests that ended without an answer (transport errors)
	errors  map[string]int64
	acks    []int64  // when each acknowledgement arrived (Unix ns)
	rcpts   [][]byte // receipts of the acknowledged votes

	revotes, revoteRefused, doubleAcks int64
}

// phase is the timed, open-loop phase: arrivals at a constant rate from t0 for the duration, each
// taken by the first free worker; an arrival a worker cannot start before the window ends is
// missed (offered, never sent).
type phase struct {
	ctx        context.Context // ends the run
	api        *api
	target     string
	poll       string
	difficulty int
	t0         time.Time
	interval   time.Duration // between two arrivals
	arrivals   int64
	end        time.Time // end of the window
	voters     []voter   // prepared voters, one per arrival (nil when not prepared)
	bodies     [][]byte  // vote bodies without pow, one per candidate
	revote     int64     // a voter i revotes when i*revoteHash%10000 < revote
	// The peer's publications (peer.go): its API key, channel and data size.
	peerKey     string
	peerChannel string
	peerSize    int
	next        atomic.Int64

	// live counters for the progress line
	sentN, ackedN, errN atomic.Int64
}

const revoteHash = 2654435761

func (p *phase) run(w *worker) {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	w.errors = map[string]int64{}
	var body []byte
	for {
		i := p.next.Add(1) - 1
		if i >= p.arrivals {
			return
		}
		at := p.t0.Add(time.Duration(i) * p.interval)
		now := time.Now()
		if now.After(p.end) {
			w.missed++
			continue
		}
		if d := at.Sub(now); d > 0 {
			time.Sleep(d)
		}
		w.sent++
		p.sentN.Add(1)
		if p.target == targetHealthz {
			start := time.Now()
			err := p.api.call(req, res, fasthttp.MethodGet, "/healthz", nil)
			w.finish(p, err, res, at, start)
			continue
		}
		if p.target == targetPublish {
			body = publishBody(body[:0], p.peerChannel, i+1, p.peerSize, time.Now())
			start := time.Now()
			err := p.publish(req, res, body)
			w.finish(p, err, res, at, start)
			continue
		}
		var v voter
		start := time.Now()
		if p.voters != nil {
			v = p.voters[i]
		} else {
			var err error
			if v, err = p.api.newVoter(p.ctx, p.poll, p.difficulty); err != nil {
				w.count(p, "prepare: "+err.Error())
				continue
			}
		}
		body = p.voteBody(body[:0], i, v)
		err := p.vote(req, res, v, body)
		acked := w.finish(p, err, res, at, start)
		if acked && (i*revoteHash)%10000 < p.revote {
			// This voter tries again, with a new challenge when the poll asks for one: the
			// answer must be 409 already_voted.
			w.revotes++
			w.revote(p, req, res, v, i)
		}
	}
}

// revote sends the second vote of voter v and counts its answer.
func (w *worker) revote(p *phase, req *fasthttp.Request, res *fasthttp.Response, v voter, i int64) {
	if v.pow != nil {
		pow, err := p.api.resolve(p.ctx, p.poll, v.cookie)
		if err != nil {
			w.count(p, "revote: "+err.Error())
			return
		}
		v.pow = pow
	}
	if err := p.vote(req, res, v, p.voteBody(nil, i, v)); err != nil {
		w.count(p, "revote: transport: "+transportError(err))
		return
	}
	switch res.StatusCode() {
	case fasthttp.StatusCreated:
		w.doubleAcks++
	case fasthttp.StatusConflict:
		w.revoteRefused++
	default:
		w.count(p, "revote: "+string(jsonString(res.Body(), "code")))
	}
}

// voteBody builds the vote of arrival i: one candidate, and the voter's pow when it has one.
func (p *phase) voteBody(b []byte, i int64, v voter) []byte {
	base := p.bodies[int((i*7919)%int64(len(p.bodies)))]
	if v.pow == nil {
		return append(b, base...)
	}
	b = append(b, base[:len(base)-1]...)
	b = append(b, `,"pow":`...)
	b = append(b, v.pow...)
	return append(b, '}')
}

func (p *phase) vote(req *fasthttp.Request, res *fasthttp.Response, v voter, body []byte) error {
	req.Reset()
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI(p.api.base + apiclient.VotesPath(p.poll))
	req.Header.Set("Accept-Language", "en")
	req.Header.SetContentType("application/json")
	req.Header.SetCookieBytesKV([]byte(apiclient.VoterCookie), v.cookie)
	req.SetBodyRaw(body)
	return p.api.hc.Do(req, res)
}

// finish records the outcome of one request; it reports whether it was acknowledged (a vote's
// 201, /healthz's and a publication's 200).
func (w *worker) finish(p *phase, err error, res *fasthttp.Response, at, start time.Time) bool {
	end := time.Now()
	w.latency.record(end.Sub(at))
	w.service.record(end.Sub(start))
	if err != nil {
		w.unknown++
		w.count(p, "transport: "+transportError(err))
		return false
	}
	status := res.StatusCode()
	want := fasthttp.StatusCreated
	if p.target != targetVote {
		want = fasthttp.StatusOK
	}
	if status != want || p.target == targetPublish && publishFailed(res.Body()) {
		code := jsonString(res.Body(), "code")
		if code == nil {
			code = jsonString(res.Body(), "message") // the peer's errors
		}
		if code == nil {
			w.count(p, "http "+strconv.Itoa(status))
		} else {
			w.count(p, string(code))
		}
		return false
	}
	w.acked++
	p.ackedN.Add(1)
	if p.target == targetVote {
		w.acks = append(w.acks, end.UnixNano())
		w.rcpts = append(w.rcpts, append([]byte(nil), jsonString(res.Body(), "receipt")...))
	}
	return true
}

func (w *worker) count(p *phase, what string) {
	w.errors[what]++
	p.errN.Add(1)
}

// transportError names a client-side failure briefly.
func transportError(err error) string {
	switch err {
	case fasthttp.ErrTimeout:
		return "timeout"
	case fasthttp.ErrNoFreeConns:
		return "no free connections"
	case fasthttp.ErrConnectionClosed:
		return "connection closed"
	}
	s := err.Error()
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
