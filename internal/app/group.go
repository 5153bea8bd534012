package app

import "sync"

// group runs the App's parts, each in a goroutine of its own, and keeps the first failure: the
// first error a part returns closes failed. After close, the parts' errors are their way of
// stopping and are not kept.
type group struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	first    error
	stopping bool
	failed   chan struct{}
}

func (g *group) init() { g.failed = make(chan struct{}) }

// run starts part.
func (g *group) run(part func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := part(); err != nil {
			g.fail(err)
		}
	}()
}

// fail keeps err when it is the first failure before close.
func (g *group) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping || g.first != nil {
		return
	}
	g.first = err
	close(g.failed)
}

// err is the first failure, or nil.
func (g *group) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.first
}

// close says that the parts are being stopped: what they return from now on is no failure.
func (g *group) close() {
	g.mu.Lock()
	g.stopping = true
	g.mu.Unlock()
}

// closing reports whether close was called.
func (g *group) closing() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopping
}

// wait waits for every part to return.
func (g *group) wait() { g.wg.Wait() }
