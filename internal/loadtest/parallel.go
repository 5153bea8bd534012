package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// forEach calls do(i) for every i in [0, n) from workers goroutines and tells "what: done/n" on
// tell once a second. It stops at the first error (returned) or when ctx ends (ctx.Err()).
func forEach(ctx context.Context, n, workers int, what string, tell func(string), do func(i int) error) error {
	var next, done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				tell(fmt.Sprintf("%s: %d/%d", what, done.Load(), n))
			}
		}
	}()
	for range min(n, workers) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := do(int(i)); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
