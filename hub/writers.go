package hub

import (
	"runtime"
	"sync"
)

// writers runs the connections' writers on a bounded number of goroutines: a tick that offers a
// message to 10,000 connections queues 10,000 writers here instead of making 10,000 goroutines
// runnable at once, so that a goroutine of another part of the process (a vote's handler) that
// becomes runnable during the fan-out waits behind at most max writes, not behind the whole tick.
//
// Each goroutine yields the processor after each writer (runtime.Gosched): the scheduler
// preempts a goroutine that does not block only every 10 ms, and a writer does not block when the
// client reads, so without it a goroutine woken meanwhile (a vote's) waits behind every writer
// that runs, up to whole time slices of writes.
//
// run never blocks (the queue grows as needed) and starts a goroutine only when fewer than max
// run; each goroutine runs queued writers in order and ends as soon as the queue is empty, so
// an idle hub holds none. A writer blocked on a slow client holds one of the goroutines for at
// most writeWait (then it evicts the client): max such clients at once delay the others' writes
// by as much. The zero value is not ready: set max.
type writers struct {
	max int

	mu      sync.Mutex
	queue   []func() // queue[head:] waits to run
	head    int
	running int
}

// run queues f to run on one of the writers' goroutines, starting one when fewer than max run.
func (w *writers) run(f func()) {
	w.mu.Lock()
	w.queue = append(w.queue, f)
	start := w.running < w.max
	if start {
		w.running++
	}
	w.mu.Unlock()
	if start {
		go w.work()
	}
}

// work runs queued functions until the queue is empty.
func (w *writers) work() {
	for {
		w.mu.Lock()
		if w.head == len(w.queue) {
			w.queue, w.head = w.queue[:0], 0
			w.running--
			w.mu.Unlock()
			return
		}
		f := w.queue[w.head]
		w.queue[w.head] = nil
		w.head++
		w.mu.Unlock()
		f()
		runtime.Gosched()
	}
}
