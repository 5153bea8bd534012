package hub

import (
	"context"
	"time"
)

// Tick runs one tick now, for benchmarks that drive the hub without Run.
func (h *Hub) Tick(ctx context.Context) { h.tick(ctx) }

// Unthrottle makes connections served from now on ignore their hz, so that a benchmark can tick
// back to back. Call it before any Serve.
func (h *Hub) Unthrottle() { h.noThrottle = true }

// SetQuietAfter sets how long a poll's content must stay the same for its connections' writers
// to end (a second otherwise). Call it before any Serve.
func (h *Hub) SetQuietAfter(d time.Duration) { h.quietAfter = d }

// busy reports whether a writer runs or waits.
func (g *gate) busy() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state == gateRunning || g.state == gateWaiting
}

// Writers returns how many of the hub's connections have a writer, running or waiting for the
// next signal: as the connections' gates know it, which is how many goroutines (or timer
// callbacks) run a writer, not a guess from stack traces.
func (h *Hub) Writers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, p := range h.polls {
		for _, cs := range p.clients {
			for _, c := range cs {
				if c.gate.busy() {
					n++
				}
			}
		}
	}
	return n
}
