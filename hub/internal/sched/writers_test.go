package sched

import (
	"net"
	"runtime"
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
		w := &Writers{max: maxGoroutines}
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
		one := &Writers{max: 1}
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

// While the writers keep every processor busy, a goroutine waiting on a connection runs within a
// few pauses of its data arriving: the pause lets the scheduler poll the network. Without the
// pauses it would wait for the scheduler's monitor (10 ms, hundreds of these writers). Counted in
// writers run, not timed.
func TestPauseLetsTheNetworkIn(t *testing.T) {
	const every, spin, busy = 8, 50 * time.Microsecond, 20_000
	w := pausingWriters(t, 64, every, nil) // as many goroutines as the hub's writers

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	var ran atomic.Int64
	stop := make(chan struct{})
	var finished sync.WaitGroup
	finished.Add(busy)
	for range busy {
		w.Run(func() {
			defer finished.Done()
			select {
			case <-stop:
				return
			default:
			}
			for start := time.Now(); time.Since(start) < spin; {
			}
			ran.Add(1)
		})
	}
	woke := make(chan int64)
	go func() {
		var b [1]byte
		_, _ = server.Read(b[:])
		woke <- ran.Load()
	}()
	for ran.Load() < 100 {
		runtime.Gosched()
	}
	sent := ran.Load()
	if _, err := client.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	got := <-woke
	close(stop)
	finished.Wait()
	if got == busy {
		t.Fatalf("the writers ran out before the test could measure (%d)", got)
	}
	if late, most := got-sent, int64(4*every+2*runtime.GOMAXPROCS(0)); late > most {
		t.Errorf("the reader woke %d writers after its data arrived, want at most %d", late, most)
	}
	t.Logf("woke %d writers after its data arrived (pause every %d)", got-sent, every)
}

// A pause the network poller does not end (here the poller's wake does nothing) ends by itself
// after maxPause: the writers still run everything.
func TestPauseEndsByItself(t *testing.T) {
	w := pausingWriters(t, 4, 1, func() {})
	if !runsAll(w, 50) { // 50 pauses of maxPause: far less than runsAll waits
		t.Fatal("the writers stalled in a pause nothing ended")
	}
}

// A writer blocked on a slow client does not hold a pause that began with it: the other writers
// run while it is still blocked.
func TestPauseDoesNotWaitForABlockedWriter(t *testing.T) {
	w := pausingWriters(t, 4, 1, nil)
	blocked := make(chan struct{})
	defer close(blocked)
	w.Run(func() { <-blocked }) // the first writer taken starts a pause (every 1), then blocks
	if !runsAll(w, 50) {
		t.Fatal("the writers waited for a pause held by a blocked writer")
	}
}

// pausingWriters returns writers on at most max goroutines that pause every `every` writers, the
// pauses ended by a netYield that calls wake (nil: w.resume, as the hub's); the pauses stop when
// the test ends.
func pausingWriters(t *testing.T, max, every int, wake func()) *Writers {
	t.Helper()
	w := &Writers{max: max, every: every}
	if wake == nil {
		wake = w.resume
	}
	y, err := startYield(wake)
	if err != nil {
		t.Fatal(err)
	}
	w.pauseWith(y)
	t.Cleanup(func() { w.pauseWith(nil); y.stop() })
	return w
}

// runsAll queues n writers on w and reports whether they all ran within 10 s.
func runsAll(w *Writers, n int) bool {
	var done sync.WaitGroup
	done.Add(n)
	for range n {
		w.Run(done.Done)
	}
	ended := make(chan struct{})
	go func() { done.Wait(); close(ended) }()
	select {
	case <-ended:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}

// With busy 1 the writers run on one goroutine while they progress, and writers blocked in a
// write (slow clients) hold up the rest by about StallAfter each: the stall watch starts one more
// goroutine per StallAfter without a finished writer, up to max.
func TestWritersStallWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &Writers{busy: 1, max: 3}
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
