package sched

import (
	"sync"
	"time"
)

// Writers runs the connections' writers on a bounded number of goroutines: a tick that offers a
// message to 10,000 connections queues 10,000 writers here instead of making 10,000 goroutines
// runnable at once. On one goroutine while they progress (the hub's busy of 1), the fan-out takes
// one processor and a goroutine of another part of the process (a vote's handler, its Redis
// pipeline) finds another free, instead of waiting behind writers on every processor until the
// scheduler preempts one (every 10 ms).
//
// The goroutine does not yield between writers. With writers on every processor it once did, after
// each writer (runtime.Gosched) and, every few hundred, for a pause until the scheduler had polled
// the network; on one goroutine both only cost: at 10,000 dashboards and 500 votes/s, three
// alternating pairs, without them vote p99 7.0-9.3 ms against 10.0-12.3, the server's CPU per
// message 14.0-14.8 us against 14.3-17.5, and every tick delivered in all three runs against one
// (BENCHMARKS.md, "The fan-out without yields").
//
// Run never blocks (the queue grows as needed) and starts a goroutine only when fewer than busy
// run; each goroutine runs queued writers in order and ends as soon as the queue is empty, so an
// idle hub holds none. A writer blocked on a slow client holds one of the goroutines until its
// write's deadline (then the hub evicts the client); when every running goroutine is so blocked
// (no writer finished in StallAfter), the stall watch starts another, up to max: max such clients
// at once delay the others' writes by as much. When the writers progress but too slowly to drain
// the queue in time (SetDrain), the same watch starts another, up to fast: on a machine where one
// core does not write a tick's messages before the next tick, the fan-out takes more processors
// for as long as it is behind, instead of letting the next tick replace the messages not yet
// written. Create Writers with NewWriters; every method is safe for concurrent use.
type Writers struct {
	max  int
	busy int // goroutines started while the writers progress (at most fast); see NewWriters
	fast int // goroutines the pace rule may run while the writers progress (at most max)

	mu      sync.Mutex
	queue   []func() // queue[head:] waits to run
	head    int
	running int
	// The stall watch, while writers are queued and busy < max: every StallAfter, when no
	// writer finished since the last look (done == seen), one more goroutine starts; when
	// some did, but at that pace the queue would take longer than drain, one more too (up to
	// fast).
	done, seen uint64
	watch      *time.Timer
	watching   bool
	drain      time.Duration // the pace rule's bound (SetDrain); 0: none
}

// StallAfter is how long the writers may go without finishing one before the stall watch starts
// another goroutine: a writer blocked on a slow client's full socket (up to the hub's write
// deadline) then holds up the others' writes by about that much, not by its whole block.
const StallAfter = 10 * time.Millisecond

// NewWriters returns Writers that run writers on at most busy goroutines at once while the writers
// progress, on up to fast when they progress too slowly to drain the queue in time (the pace rule,
// SetDrain), and on up to max when they stall (no writer finished in StallAfter: every running
// goroutine is blocked, most often on a slow client). 1 <= busy <= fast <= max.
//
// A busy of 1 keeps the fan-out on one processor: another goroutine of the process (a vote's)
// finds the other processors free, instead of waiting behind writers on every one of them
// (BENCHMARKS.md, "One writer goroutine"), while a slow client still cannot hold up the rest.
func NewWriters(busy, fast, max int) *Writers { return &Writers{busy: busy, fast: fast, max: max} }

// SetDrain sets the pace rule's bound: while writers are queued, the stall watch estimates from
// the writers finished in its last StallAfter how long the queue will take to drain, and when that
// is longer than d it starts one more goroutine, up to fast (each look, so one more at most every
// StallAfter). A d of 0 turns the rule off. The hub sets d to a share of its tick's interval: a
// tick's messages are then all written before the next tick replaces them, on more processors only
// when one is too slow for that.
func (w *Writers) SetDrain(d time.Duration) {
	w.mu.Lock()
	w.drain = d
	w.mu.Unlock()
}

// Drain returns the pace rule's bound (SetDrain).
func (w *Writers) Drain() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.drain
}

// Run queues f to run on one of the writers' goroutines, starting one when fewer than busy run.
func (w *Writers) Run(f func()) {
	w.mu.Lock()
	w.queue = append(w.queue, f)
	if w.busy < w.max {
		if !w.watching {
			w.watching, w.seen = true, w.done
			if w.watch == nil {
				w.watch = time.AfterFunc(StallAfter, w.look)
			} else {
				w.watch.Reset(StallAfter)
			}
		}
	}
	start := w.running < w.busy
	if start {
		w.running++
	}
	w.mu.Unlock()
	if start {
		go w.work()
	}
}

// look is the stall watch (see Writers.watch): it starts one more goroutine when writers wait and
// none finished since its last look (up to max), or when they finished too few to drain the queue
// within drain at that pace (up to fast: SetDrain), and looks again in StallAfter while writers
// wait.
func (w *Writers) look() {
	w.mu.Lock()
	if w.head == len(w.queue) {
		w.watching = false
		w.mu.Unlock()
		return
	}
	queued, finished := len(w.queue)-w.head, w.done-w.seen
	start := finished == 0 && w.running < w.max
	if !start && w.drain > 0 && w.running < w.fast {
		// the pace rule: at the last StallAfter's pace, the queue would take longer than drain
		start = time.Duration(queued)*StallAfter > w.drain*time.Duration(finished)
	}
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

// work runs queued functions until the queue is empty.
func (w *Writers) work() {
	for ran := false; ; ran = true {
		w.mu.Lock()
		if ran {
			w.done++
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
		w.mu.Unlock()
		f()
	}
}
