package hub

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// The writers run everything queued, each once, on at most max goroutines at a time, in the order
// queued when one goroutine runs them, and end once the queue is empty: an idle hub holds none.
func TestWritersBoundedAndEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxGoroutines, n = 4, 1000
		w := &writers{max: maxGoroutines}
		var in, most atomic.Int32
		var ran [n]atomic.Int32
		release := make(chan struct{})
		var queued sync.WaitGroup
		for i := range n {
			queued.Go(func() {
				w.run(func() {
					now := in.Add(1)
					for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
					}
					<-release
					ran[i].Add(1)
					in.Add(-1)
				})
			})
		}
		queued.Wait() // run never blocks, even with every goroutine blocked
		synctest.Wait()
		if got := in.Load(); got != maxGoroutines {
			t.Errorf("%d running while %d are queued, want %d", got, n, maxGoroutines)
		}
		close(release)
		synctest.Wait()
		for i := range ran {
			if c := ran[i].Load(); c != 1 {
				t.Fatalf("function %d ran %d times, want 1", i, c)
			}
		}
		if m := most.Load(); m > maxGoroutines {
			t.Errorf("%d ran at once, want at most %d", m, maxGoroutines)
		}
		w.mu.Lock()
		running, left := w.running, len(w.queue)-w.head
		w.mu.Unlock()
		if running != 0 || left != 0 {
			t.Errorf("%d goroutines and %d queued once everything ran, want 0 and 0", running, left)
		}
		// (synctest.Test itself fails if a goroutine of the bubble is left.)

		var order []int
		one := &writers{max: 1}
		block := make(chan struct{})
		one.run(func() { <-block })
		for i := range 5 {
			one.run(func() { order = append(order, i) })
		}
		close(block)
		synctest.Wait()
		if len(order) != 5 || order[0] != 0 || order[4] != 4 {
			t.Errorf("one goroutine ran %v, want 0 to 4 in order", order)
		}
	})
}
