package sched

import (
	"runtime"
	"sync"
	"time"
)

// Writers runs the connections' writers on a bounded number of goroutines: a tick that offers a
// message to 10,000 connections queues 10,000 writers here instead of making 10,000 goroutines
// runnable at once, so that a goroutine of another part of the process (a vote's handler) that
// becomes runnable during the fan-out waits behind at most max writes, not behind the whole tick.
//
// Each goroutine yields the processor after each writer (runtime.Gosched): the scheduler
// preempts a goroutine that does not block only every 10 ms, and a writer does not block when the
// client reads, so without it a goroutine woken meanwhile (a vote's) waits behind every writer
// that runs, up to whole time slices of writes.
//
// Yielding is not enough for a goroutine that waits on the network (a vote's handler waits for
// the request, then for Redis's answer): the Go scheduler looks at the network only when a
// processor runs out of runnable goroutines, or from its monitor every 10 ms, so while writers
// keep every processor busy such a goroutine is not even runnable yet. Hence the pause (when
// yield is set): after every `every` writers the goroutines stop taking writers and yield asks
// the network poller to end the pause. The pause ends when the scheduler next polls the network,
// which it does as soon as the processors have nothing else to run: by then every goroutine the
// network made ready meanwhile is runnable, and runs before or beside the next writers (see
// netYield). A pause lasts at most maxPause: when the processors stay busy with other goroutines
// (votes at saturation), the fan-out still gets its share.
//
// Run never blocks (the queue grows as needed) and starts a goroutine only when fewer than busy
// run; each goroutine runs queued writers in order and ends as soon as the queue is empty, so
// an idle hub holds none. A writer blocked on a slow client holds one of the goroutines until its
// write's deadline (then the hub evicts the client); when every running goroutine is so blocked
// (no writer finished in StallAfter), the stall watch starts another, up to max: max such clients
// at once delay the others' writes by as much. A blocked writer does not delay the end of a
// pause. Create Writers with NewWriters; every method is safe for concurrent use.
type Writers struct {
	max   int
	busy  int // goroutines started while the writers progress (0: max); see NewWriters
	every int // writers between two pauses (yieldEvery)

	mu      sync.Mutex
	queue   []func() // queue[head:] waits to run
	head    int
	running int
	// The stall watch, while writers are queued and busy < max: every StallAfter, when no
	// writer finished since the last look (done == seen), one more goroutine starts.
	done, seen uint64
	watch      *time.Timer
	watching   bool
	yield      *netYield     // asks the network poller to end a pause; nil: no pauses
	bound      *time.Timer   // ends a pause that lasted maxPause
	ran        int           // writers taken since the last pause
	paused     chan struct{} // not nil during a pause: closed when it ends
}

// yieldEvery is how many writers run between two pauses. A write costs the server about 10 us
// (BENCHMARKS.md, "Votes first"): a pause every 256 writes lets the network in every millisecond
// or so of fan-out. Tried at 10,000 dashboards and 500 votes/s: every 128 writes, vote p99 14-20
// ms but delivery p99 140-190 ms and more CPU per message (the pauses' cost); every 512, vote
// p99 24-26 ms; every 256, vote p99 15-20 ms with delivery and CPU as without pauses.
const yieldEvery = 256

// maxPause is the longest a pause lasts: a pause that the network poller has not ended by then
// ends anyway. The writes between two pauses take about as long.
const maxPause = time.Millisecond

// StallAfter is how long the writers may go without finishing one before the stall watch starts
// another goroutine: a writer blocked on a slow client's full socket (up to the hub's write
// deadline) then holds up the others' writes by about that much, not by its whole block.
const StallAfter = 10 * time.Millisecond

// NewWriters returns Writers that run writers on at most busy goroutines at once while the
// writers progress, and on up to max when they stall (no writer finished in StallAfter: every
// running goroutine is blocked, most often on a slow client), without pauses until Pause.
//
// A busy of 1 keeps the fan-out on one processor: another goroutine of the process (a vote's)
// finds the other processors free, instead of waiting behind writers on every one of them
// (BENCHMARKS.md, "One writer goroutine"), while a slow client still cannot hold up the rest.
func NewWriters(busy, max int) *Writers { return &Writers{busy: busy, max: max, every: yieldEvery} }

// Run queues f to run on one of the writers' goroutines, starting one when fewer than busy run.
func (w *Writers) Run(f func()) {
	w.mu.Lock()
	w.queue = append(w.queue, f)
	busy := w.max
	if w.busy > 0 && w.busy < w.max {
		busy = w.busy
		if !w.watching {
			w.watching, w.seen = true, w.done
			if w.watch == nil {
				w.watch = time.AfterFunc(StallAfter, w.look)
			} else {
				w.watch.Reset(StallAfter)
			}
		}
	}
	start := w.running < busy
	if start {
		w.running++
	}
	w.mu.Unlock()
	if start {
		go w.work()
	}
}

// look is the stall watch (see Writers.watch): it starts one more goroutine (up to max) when
// writers wait and none finished since its last look, and looks again in StallAfter while
// writers wait.
func (w *Writers) look() {
	w.mu.Lock()
	if w.head == len(w.queue) {
		w.watching = false
		w.mu.Unlock()
		return
	}
	start := w.done == w.seen && w.paused == nil && w.running < w.max
	if start {
		w.running++
	}
	w.seen = w.done
	w.watch.Reset(StallAfter)
	w.mu.Unlock()
	if start {
		go w.work()
	}
}

// work runs queued functions until the queue is empty, waiting out the pauses.
func (w *Writers) work() {
	for ran := false; ; ran = true {
		w.mu.Lock()
		if ran {
			w.done++
		}
		for w.paused != nil {
			p := w.paused
			w.mu.Unlock()
			<-p
			w.mu.Lock()
		}
		if w.head == len(w.queue) {
			w.queue, w.head = w.queue[:0], 0
			w.running--
			if w.watching {
				w.watching = false
				w.watch.Stop()
			}
			w.mu.Unlock()
			return
		}
		f := w.queue[w.head]
		w.queue[w.head] = nil
		w.head++
		var y *netYield
		if w.ran++; w.yield != nil && w.ran >= w.every {
			y, w.ran, w.paused = w.yield, 0, make(chan struct{})
		}
		w.mu.Unlock()
		if y != nil {
			// asked before f runs: a write blocked on a slow client must not hold the pause
			w.bound.Reset(maxPause)
			if !y.ask() {
				w.resume()
			}
		}
		f()
		runtime.Gosched()
	}
}

// resume ends the pause, if any.
func (w *Writers) resume() {
	w.mu.Lock()
	p := w.paused
	w.paused = nil
	w.mu.Unlock()
	if p != nil {
		close(p)
	}
}

// Pause makes the writers pause every few hundred writers until the scheduler has polled the
// network (see Writers), until stop is called; stop waits for the pauses' goroutine to end. Call
// it at most once at a time.
func (w *Writers) Pause() (stop func(), err error) {
	y, err := startYield(w.resume)
	if err != nil {
		return nil, err
	}
	w.pauseWith(y)
	return func() {
		w.pauseWith(nil)
		y.stop()
	}, nil
}

// pauseWith makes the writers pause every w.every writers, with y to end each pause; nil
// stops the pauses (and ends one under way).
func (w *Writers) pauseWith(y *netYield) {
	w.mu.Lock()
	w.yield, w.ran = y, 0
	if w.bound == nil {
		w.bound = time.AfterFunc(time.Hour, w.resume)
		w.bound.Stop()
	}
	w.mu.Unlock()
	if y == nil {
		w.bound.Stop()
		w.resume()
	}
}
