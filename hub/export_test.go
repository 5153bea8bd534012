package hub

import (
	"context"
	"time"
)

// Tick runs one tick now, for benchmarks that drive the hub without Run.
func (h *Hub) Tick(ctx context.Context) { h.tick(ctx) }

// Drain returns the writers' pace bound: how long a tick's writes may take before more
// goroutines write them; DrainPercent is its share of the tick's interval.
func (h *Hub) Drain() time.Duration { return h.writers.Drain() }

const DrainPercent = drainPercent

// Unthrottle makes connections served from now on ignore their hz, so that a benchmark can tick
// back to back. Call it before any Serve.
func (h *Hub) Unthrottle() { h.noThrottle = true }

// Writers returns how many of the hub's connections have a writer, running or queued to run: as
// the connections' gates know it, not a guess from stack traces.
func (h *Hub) Writers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, p := range h.polls {
		for _, cs := range p.clients {
			for _, c := range cs {
				if c.gate.Busy() {
					n++
				}
			}
		}
	}
	return n
}
