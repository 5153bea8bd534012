package redisstore

import (
	"context"
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Micro-batching of Cast: one Redis round trip per vote costs a write and a read system call on
// both ends and a trip through the connection pool, and one script per vote costs Redis the
// script's fixed work and a write of every counter, which on a small machine is most of a vote's
// cost. Instead, a few flusher goroutines each take the pending casts that are waiting (up to
// castBatchMax) and send them as one pipeline with one cast script per poll and minute: the
// script records its ballots in order, each answered as if cast alone, and writes the counters
// once (cast.lua). Every caller waits for its own ballot's answer. Nothing is answered
// before Redis answered it: batching changes how ballots travel, not what an answer means.
const (
	// castFlushers is how many pipelines may be in flight at once. While one waits for Redis the
	// casts that arrive queue for the next. More flushers mean smaller batches: at 8,000 votes/s
	// here 2 gave p99 5.1 ms and Redis 66 us a vote, 4 gave 7.4 ms and 70 us; at saturation 2
	// took 15,300 votes/s, 4 took 12,900. One against two (BENCHMARKS.md, "Performance 3"): about
	// 3 us less of server CPU and 3 of Redis's a vote at saturation (fuller batches), and at 5,000
	// votes/s p99 21-52 ms against 110-436 ms on a busy machine; but with 10,000 dashboards at
	// 4 Hz and 500 votes/s on the quiet machine, a vote that arrives while the one batch waits for
	// Redis waits too: p99 1.3-6 ms higher in each of six alternating pairs. Two, for the voter
	// during the fan-out; and with one, a pipeline that waits for its read timeout holds every cast.
	castFlushers = 2
	// castBatchMax is the most casts in one pipeline. Redis runs a client's pipeline through before
	// it turns to the next client, so this bounds how long one batch holds the others.
	castBatchMax = 32
	// castQueue is how many casts may wait for a flusher; a caller beyond it waits (or its
	// context ends) before its cast is queued.
	castQueue = 4096
)

var errStoreClosed = errors.New("store closed")

// castBatcher queues casts for the flushers. Its zero value is ready: the flushers start with the
// first cast.
type castBatcher struct {
	start sync.Once
	queue chan *castCall
	quit  chan struct{}
	stop  sync.Once
	wg    sync.WaitGroup
}

// castCall is one pending cast: its ballot's part of the cast script's keys and arguments
// (args.go), and where its answer goes.
type castCall struct {
	ctx context.Context
	castArgs
	res  string
	err  error
	done chan struct{} // gets a token when res and err are set
}

// castGroup is the casts of one batch that go into one script: one poll, one minute.
type castGroup struct {
	calls []*castCall
	args  []any
}

// script builds the group's KEYS and ARGV (cast.lua), reusing its slices.
func (g *castGroup) script() (keys []string, args []any) {
	keys = make([]string, 0, castKeysHead+len(g.calls))
	keys, args = g.calls[0].head(keys, g.args[:0])
	for _, c := range g.calls {
		keys, args = c.ballot(keys, args)
	}
	g.args = args
	return keys, args
}

var castCalls = sync.Pool{New: func() any { return &castCall{done: make(chan struct{}, 1)} }}

// run sends one cast script with the next pipeline and returns its reply, or an error when Redis
// did not answer (a failure after sending is ambiguous: the script may have run). When ctx ends
// first, run returns at once; the script may still run.
func (b *castBatcher) run(ctx context.Context, s *Store, p *vote.Poll, bl vote.Ballot) (string, error) {
	b.start.Do(func() {
		b.queue = make(chan *castCall, castQueue)
		b.quit = make(chan struct{})
		for range castFlushers {
			b.wg.Go(func() { b.flush(s) })
		}
	})
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c := castCalls.Get().(*castCall)
	c.ctx = ctx
	c.set(s.keysOf(p), p, bl)
	select {
	case b.queue <- c:
	case <-ctx.Done():
		c.reset()
		castCalls.Put(c)
		return "", ctx.Err()
	case <-b.quit:
		return "", errStoreClosed
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return "", ctx.Err() // c belongs to the flusher now; it is not reused
	case <-b.quit:
		return "", errStoreClosed
	}
	res, err := c.res, c.err
	c.reset()
	castCalls.Put(c)
	return res, err
}

// reset clears c for the pool.
func (c *castCall) reset() {
	c.ctx, c.castArgs, c.res, c.err = nil, castArgs{}, "", nil
}

// close stops the flushers; casts still queued are answered errStoreClosed.
func (b *castBatcher) close() {
	b.stop.Do(func() {
		b.start.Do(func() { b.quit = make(chan struct{}) }) // never started: it never starts now
		close(b.quit)
		b.wg.Wait()
	})
}

// flush is one flusher: it takes the first waiting cast, everything else waiting up to
// castBatchMax, and sends them in one pipeline, one script per poll and minute.
func (b *castBatcher) flush(s *Store) {
	batch := make([]*castCall, 0, castBatchMax)
	var groups []castGroup
	var cmds []*redis.Cmd
	for {
		batch = batch[:0]
		select {
		case c := <-b.queue:
			batch = append(batch, c)
		case <-b.quit:
			return
		}
	more:
		for len(batch) < castBatchMax {
			select {
			case c := <-b.queue:
				batch = append(batch, c)
			default:
				break more
			}
		}
		// Casts whose caller has gone are not sent; the others go into their poll's and minute's
		// group, in the order they came.
		groups = groups[:0]
		for _, c := range batch {
			if err := c.ctx.Err(); err != nil {
				c.err = err
				c.done <- struct{}{}
				continue
			}
			g := 0
			for g < len(groups) && (groups[g].calls[0].poll != c.poll || groups[g].calls[0].minute != c.minute) {
				g++
			}
			if g == len(groups) {
				if len(groups) < cap(groups) {
					groups = groups[:g+1]
				} else {
					groups = append(groups, castGroup{})
				}
			}
			groups[g].calls = append(groups[g].calls, c)
		}
		if len(groups) == 0 {
			continue
		}

		cmds = s.sendCasts(groups, cmds)
	}
}

// sendCasts sends one script per group in one pipeline and answers every call. cmds is scratch
// space, returned for the next batch.
func (s *Store) sendCasts(groups []castGroup, cmds []*redis.Cmd) []*redis.Cmd {
	ctx := context.Background() // each command is bounded by the client's read and write timeouts
	pipe := s.client.Pipeline()
	cmds = cmds[:0]
	for i := range groups {
		keys, args := groups[i].script()
		cmds = append(cmds, s.cast.EvalSha(ctx, pipe, keys, args...))
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	// Redis lost its script cache (restart, failover, SCRIPT FLUSH): send those again with the
	// script's source, which loads it.
	var retry []int
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		pipe := s.client.Pipeline()
		for _, i := range retry {
			keys, args := groups[i].script()
			cmds[i] = s.cast.Eval(ctx, pipe, keys, args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	for i := range groups {
		g := &groups[i]
		res, err := cmds[i].StringSlice()
		if err == nil && len(res) != len(g.calls) {
			err = fmt.Errorf("cast script answered %d results for %d ballots", len(res), len(g.calls))
		}
		for j, c := range g.calls {
			if err != nil {
				c.err = err
			} else {
				c.res = res[j]
			}
			c.done <- struct{}{}
			g.calls[j] = nil
		}
		g.calls = g.calls[:0]
		clear(g.args)
		cmds[i] = nil
	}
	return cmds
}
