package sched

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The writers run everything queued, each once, on at most max goroutines at a time, in the order
// queued when one goroutine runs them, and end once the queue is empty: an idle hub holds none.
func TestWritersBoundedAndEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxGoroutines, n = 4, 1000
		w := NewWriters(maxGoroutines, maxGoroutines, maxGoroutines)
		var in, most atomic.Int32
		var ran [n]atomic.Int32
		release := make(chan struct{})
		var queued sync.WaitGroup
		for i := range n {
			queued.Go(func() {
				w.Run(func() {
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
		one := NewWriters(1, 1, 1)
		block := make(chan struct{})
		one.Run(func() { <-block })
		for i := range 5 {
			one.Run(func() { order = append(order, i) })
		}
		close(block)
		synctest.Wait()
		if len(order) != 5 || order[0] != 0 || order[4] != 4 {
			t.Errorf("one goroutine ran %v, want 0 to 4 in order", order)
		}
	})
}

// With busy 1 the writers run on one goroutine while they progress, and writers blocked in a
// write (slow clients) hold up the rest by about StallAfter each: the stall watch starts one more
// goroutine per StallAfter without a finished writer, up to max.
func TestWritersStallWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWriters(1, 1, 3)
		var in, most atomic.Int32
		enter := func() {
			now := in.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
		}
		var fast atomic.Int32
		for range 100 {
			w.Run(func() { enter(); fast.Add(1); in.Add(-1) })
		}
		synctest.Wait()
		if fast.Load() != 100 || most.Load() != 1 {
			t.Fatalf("%d of 100 progressing writers ran, at most %d at once; want all, on 1", fast.Load(), most.Load())
		}

		start := time.Now()
		release := make(chan struct{})
		var mu sync.Mutex
		var ranAt []time.Duration
		for range 2 { // two slow clients
			w.Run(func() { enter(); <-release; in.Add(-1) })
		}
		for range 5 {
			w.Run(func() {
				enter()
				mu.Lock()
				ranAt = append(ranAt, time.Since(start))
				mu.Unlock()
				in.Add(-1)
			})
		}
		time.Sleep(5 * StallAfter)
		synctest.Wait()
		mu.Lock()
		got := append([]time.Duration(nil), ranAt...)
		mu.Unlock()
		// The first blocks the one goroutine; the watch starts a second at StallAfter (which
		// takes the second slow client), a third at 2 x StallAfter, which runs the rest.
		if len(got) != 5 || got[0] != 2*StallAfter || got[4] != 2*StallAfter {
			t.Errorf("the writers behind two blocked ones ran at %v, want all 5 at %v", got, 2*StallAfter)
		}
		if m := most.Load(); m != 3 {
			t.Errorf("at most %d goroutines at once, want max (3)", m)
		}
		close(release)
		synctest.Wait()
		w.mu.Lock()
		running, watching := w.running, w.watching
		w.mu.Unlock()
		if running != 0 || watching {
			t.Errorf("%d goroutines, watching %t once everything ran; want 0, false", running, watching)
		}
	})
}

// The pace rule: writers that progress, but too slowly to drain the queue within the drain bound
// on one goroutine, get one more per StallAfter, up to fast and no further; with no bound, or a
// bound the one goroutine keeps, they stay on one.
func TestWritersPace(t *testing.T) {
	for _, c := range []struct {
		name  string
		drain time.Duration
		want  int32
	}{
		{"no bound", 0, 1},
		{"kept on one", time.Minute, 1},
		{"behind", 150 * time.Millisecond, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := NewWriters(1, 2, 4)
				w.SetDrain(c.drain)
				var in, most atomic.Int32
				var ran atomic.Int32
				const n = 1000 // a millisecond each: a second on one goroutine
				for range n {
					w.Run(func() {
						now := in.Add(1)
						for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
						}
						time.Sleep(time.Millisecond)
						ran.Add(1)
						in.Add(-1)
					})
				}
				time.Sleep(2 * time.Second)
				synctest.Wait()
				if ran.Load() != n {
					t.Fatalf("%d of %d writers ran", ran.Load(), n)
				}
				if m := most.Load(); m != c.want {
					t.Errorf("at most %d goroutines at once, want %d", m, c.want)
				}
			})
		})
	}
}
