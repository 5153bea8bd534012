package hub

import "time"

// The flood limit: a client may send a bucket of floodBurst frames, refilled at floodRate frames
// a second. Every message, ping and pong from the client takes one; a client that empties it
// (more than floodRate frames a second, sustained) is closed with 1008.
const (
	floodRate  = 20
	floodBurst = 2 * floodRate
)

// flood counts one client's frames against the flood limit: the frames left in its bucket, and
// when they were last counted. It is the connection's reader's own.
type flood struct {
	tokens float64
	at     time.Time
}

// newFlood returns a full bucket, counted at now.
func newFlood(now time.Time) flood { return flood{tokens: floodBurst, at: now} }

// take counts one frame received at now and reports whether the client is within the limit.
func (f *flood) take(now time.Time) bool {
	f.tokens = min(floodBurst, f.tokens+now.Sub(f.at).Seconds()*floodRate) - 1
	f.at = now
	return f.tokens >= 0
}
