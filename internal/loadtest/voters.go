package loadtest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
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

// worker is one of the timed phase's request loops, or with -phones a shard that arrivals record
// into. Each owns its counters; they are summed at the end.
type worker struct {
	// mu, when not nil, guards the counters: the arrivals of -phones record into a shared worker.
	mu      *sync.Mutex
	latency histogram // from the arrival's scheduled time to the answer (coordinated omission corrected)
	service histogram // from sending to the answer
	late    histogram // from the arrival's scheduled time to sending: the tool's own delay
	sent    int64
	acked   int64
	missed  int64
	unknown int64 // requests that ended without an answer (transport errors)
	errors  map[string]int64
	acks    []int64  // when each acknowledgement arrived (Unix ns)
	rcpts   [][]byte // receipts of the acknowledged votes

	revotes, revoteRefused, doubleAcks int64
}

// lock takes w's lock when it has one; the returned function releases it.
func (w *worker) lock() func() {
	if w.mu == nil {
		return func() {}
	}
	w.mu.Lock()
	return w.mu.Unlock
}

// phase is the timed, open-loop phase: arrivals at a constant rate from t0 for the duration. With
// a pool (run), each arrival is taken by the first free worker over the pool's keep-alive
// connections: when every worker is busy, an arrival starts late (its latency still counts from its
// scheduled time). With phones (launch), each arrival is a goroutine started at its scheduled time
// on a new connection of its own, whatever the earlier arrivals are doing. An arrival that cannot
// start before the window ends is missed (offered, never sent).
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
	phones     bool      // each request on a new connection (Connection: close)
	// The peer's publications (peer.go): its API key, channel and data size.
	peerKey     string
	peerChannel string
	peerSize    int
	next        atomic.Int64

	// live counters for the progress line
	sentN, ackedN, errN atomic.Int64
}

const revoteHash = 2654435761

// run is one worker of the pool: it takes the next arrival until there are none left.
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
		body = p.arrive(w, req, res, i, at, body[:0])
	}
}

// launch starts each arrival in a goroutine of its own at its scheduled time, never waiting for
// an earlier one, and records arrival i into shards[i % len(shards)]; it returns when every
// arrival has been answered.
func (p *phase) launch(shards []*worker) {
	for _, w := range shards {
		w.mu, w.errors = new(sync.Mutex), map[string]int64{}
	}
	var wg sync.WaitGroup
	for i := range p.arrivals {
		at := p.t0.Add(time.Duration(i) * p.interval)
		w := shards[i%int64(len(shards))]
		if at.After(p.end) || p.ctx.Err() != nil {
			unlock := w.lock()
			w.missed++
			unlock()
			continue
		}
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			p.arrive(w, req, res, i, at, nil)
		})
	}
	wg.Wait()
}

// arrive makes arrival i, scheduled at at, with req and res, and records it in w; body is a buffer
// for the vote's body, returned for reuse.
func (p *phase) arrive(w *worker, req *fasthttp.Request, res *fasthttp.Response, i int64, at time.Time, body []byte) []byte {
	unlock := w.lock()
	w.sent++
	w.late.record(time.Since(at))
	unlock()
	p.sentN.Add(1)
	if p.target == targetHealthz {
		start := time.Now()
		err := p.api.call(req, res, fasthttp.MethodGet, "/healthz", nil, p.phones)
		w.finish(p, err, res, at, start)
		return body
	}
	if p.target == targetPublish {
		body = publishBody(body[:0], p.peerChannel, i+1, p.peerSize, time.Now())
		start := time.Now()
		err := p.publish(req, res, body)
		w.finish(p, err, res, at, start)
		return body
	}
	var v voter
	start := time.Now()
	if p.voters != nil {
		v = p.voters[i]
	} else {
		var err error
		if v, err = p.api.newVoter(p.ctx, p.poll, p.difficulty); err != nil {
			w.count(p, "prepare: "+err.Error())
			return body
		}
	}
	body = p.voteBody(body, i, v)
	err := p.vote(req, res, v, body)
	acked := w.finish(p, err, res, at, start)
	if acked && (i*revoteHash)%10000 < p.revote {
		// This voter tries again, with a new challenge when the poll asks for one: the
		// answer must be 409 already_voted.
		w.revote(p, req, res, v, i)
	}
	return body
}

// revote sends the second vote of voter v and counts its answer.
func (w *worker) revote(p *phase, req *fasthttp.Request, res *fasthttp.Response, v voter, i int64) {
	unlock := w.lock()
	w.revotes++
	unlock()
	if v.pow != nil {
		pow, err := p.api.resolve(p.ctx, p.poll, v.cookie)
		if err != nil {
			w.count(p, "revote: "+err.Error())
			return
		}
		v.pow = pow
	}
	err := p.vote(req, res, v, p.voteBody(nil, i, v))
	if err != nil {
		w.count(p, "revote: transport: "+transportError(err))
		return
	}
	defer w.lock()()
	switch res.StatusCode() {
	case fasthttp.StatusCreated:
		w.doubleAcks++
	case fasthttp.StatusConflict:
		w.revoteRefused++
	default:
		w.countLocked(p, "revote: "+string(jsonString(res.Body(), "code")))
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
	if p.phones {
		req.SetConnectionClose()
	}
	return p.api.hc.Do(req, res)
}

// finish records the outcome of one request; it reports whether it was acknowledged (a vote's
// 201, /healthz's and a publication's 200).
func (w *worker) finish(p *phase, err error, res *fasthttp.Response, at, start time.Time) bool {
	end := time.Now()
	defer w.lock()()
	w.latency.record(end.Sub(at))
	w.service.record(end.Sub(start))
	if err != nil {
		w.unknown++
		w.countLocked(p, "transport: "+transportError(err))
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
			w.countLocked(p, "http "+strconv.Itoa(status))
		} else {
			w.countLocked(p, string(code))
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

// count counts an error; countLocked does when w's lock is held.
func (w *worker) count(p *phase, what string) {
	defer w.lock()()
	w.countLocked(p, what)
}

func (w *worker) countLocked(p *phase, what string) {
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
