package sched

import (
	"fmt"
	"os"
)

// netYield ends the writers' pauses through the network poller, so that a pause lasts until the
// Go scheduler has looked at the network (and made runnable every goroutine whose connection has
// something for it), and no longer.
//
// It is a pipe and a goroutine reading it: ask writes a byte; the reader, parked on the pipe as
// on any connection, is made runnable only by the scheduler's network poll, which also readies
// every other goroutine the network has news for; it then calls wake. The poll happens as soon as
// a processor runs out of runnable goroutines (the writers being paused), at the latest within
// 10 ms (the scheduler's monitor). A byte written while the reader is not parked ends a pause
// early, never late.
type netYield struct {
	r, w *os.File
	one  [1]byte
	done chan struct{}
}

// startYield starts the reader, which calls wake once for every byte ask wrote, until stop.
func startYield(wake func()) (*netYield, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sched: pipe for the writers' pauses: %w", err)
	}
	y := &netYield{r: r, w: w, done: make(chan struct{})}
	go func() {
		defer close(y.done)
		buf := make([]byte, 64)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
			wake()
		}
	}()
	return y, nil
}

// ask asks for a call of wake after the scheduler's next network poll. It reports false when it
// cannot (it was called during or after stop): the caller must not wait for wake then.
func (y *netYield) ask() bool {
	_, err := y.w.Write(y.one[:])
	return err == nil
}

// stop ends the reader and releases the pipe.
func (y *netYield) stop() {
	_ = y.w.Close()
	<-y.done
	_ = y.r.Close()
}
