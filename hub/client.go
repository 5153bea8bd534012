package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Timing of a connection (and of the hub's reads).
const (
	// writeWait is the time allowed to write one message or control frame. A client that does not
	// read fills its buffers until a write blocks; that write fails after writeWait and the writer
	// evicts the client, so a stalled client is cut off within writeWait of its first blocked write.
	writeWait = time.Second

	// pingPeriod is how often the writer pings the client (API.md: about every 20 s).
	pingPeriod = 20 * time.Second

	// pongWait is how long the reader waits for a pong (each one extends the read deadline by
	// pongWait); a client silent for longer is gone. It must be longer than pingPeriod.
	pongWait = 3 * pingPeriod

	// maxMessageSize is the largest message a client may send; clients have nothing to say.
	maxMessageSize = 512

	// floodRate and floodBurst bound what a client may send: a bucket of floodBurst messages,
	// refilled at floodRate messages a second. A client that empties it (more than floodRate
	// messages a second, sustained) is closed with 1008.
	floodRate  = 20
	floodBurst = 2 * floodRate

	// snapshotTimeout bounds one snapshot read from the Source.
	snapshotTimeout = time.Second

	// freshFor is how old a poll's latest snapshot may be to serve as a joining connection's first
	// message; older, the joining connection reads one. A watched poll is read at least once a second.
	freshFor = 2 * time.Second

	// quietAfter is how long a poll's content must stay the same for the writers of its
	// connections to end (Hub.quietAfter, which tests shorten). While it changes, a writer waits
	// for the next message instead: waking a waiting goroutine costs less than starting one.
	quietAfter = time.Second
)

// Serve serves one WebSocket connection watching poll for audience aud at most hz times a second
// (1 to MaxHz; 0 means DefaultHz; other values are clamped). Call it from the connection's handler,
// after the upgrade: it blocks for the connection's life, as the connection's reader, and returns
// once the connection is unregistered and nothing of the hub uses conn any more, so the handler may
// return (and conn be reused) right after. The writes happen in another goroutine, the
// connection's writer, which runs while the connection has something to write or its poll's
// content changes from tick to tick; once the poll has been quiet for a second, the caller's
// goroutine is the only one the connection holds.
//
// The first message, a full snapshot, goes out at once; then a message goes whenever the content
// changed since the connection's last message and 1/hz has passed since it. Messages from the
// client are discarded; a flood of them closes the connection with 1008. The connection ends when
// the client goes away or stops answering pings, when a write to it does not finish in time, when
// ctx is done or the hub shuts down (both close it with 1001, going away).
//
// Serve returns nil when the client went away, ctx was done or the hub shut down; ErrFull (after
// closing with 1013, try again later) over Options.MaxConns; ErrClosed (after closing with 1001)
// once Run has ended; ErrFlood; or an error wrapping ErrEvicted. Serve does not check that the
// poll exists: the server does before the upgrade.
func (h *Hub) Serve(ctx context.Context, conn Conn, poll string, aud Audience, hz int) error {
	if !aud.valid() {
		return fmt.Errorf("hub: unknown audience %d", aud)
	}
	c := &client{
		hub:  h,
		conn: conn,
		aud:  aud,
		hz:   clampHz(hz),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	c.writer = c.write
	if !h.noThrottle {
		c.interval = time.Second / time.Duration(c.hz)
	}
	conn.SetReadLimit(maxMessageSize)
	conn.SetPongHandler(c.pong)
	if err := c.extendRead(); err != nil {
		return err
	}
	if err := h.join(ctx, c, poll); err != nil {
		code, text := closeGoingAway, "going away"
		if errors.Is(err, ErrFull) {
			code, text = closeTryAgainLater, "too many connections"
		}
		_ = conn.WriteControl(closeMessage, closePayload(code, text), time.Now().Add(writeWait))
		return err
	}
	// The ping timer's function runs a writer, which resets it: it is armed once c.ping is set.
	c.ping = time.AfterFunc(time.Hour, c.pingNow)
	c.ping.Reset(pingPeriod)
	stop := context.AfterFunc(ctx, func() { c.stop(closeGoingAway, "going away") })
	err := c.read()
	stop()
	c.stop(0, "")
	<-c.done
	c.ping.Stop()
	if c.hold != nil {
		c.hold.Stop()
	}
	h.leave(c)
	switch {
	case c.err != nil:
		return c.err
	case errors.Is(err, ErrFlood):
		return ErrFlood
	}
	return nil
}

// clampHz returns the rate a client asking for hz gets.
func clampHz(hz int) int {
	switch {
	case hz == 0:
		return DefaultHz
	case hz < 1:
		return 1
	case hz > MaxHz:
		return MaxHz
	}
	return hz
}

// The states of a connection's writer (client.state). A connection has at most one writer at any
// time: one is started only by the change from writerIdle to writerRunning; only the writer itself
// leaves writerRunning and writerSignalled; a parked writer goes on only after whoever moved it
// from writerParked to writerRunning sends it the token on wake.
const (
	writerIdle      = iota // no writer: the next signal starts one
	writerRunning          // a writer is looking at the mailbox
	writerSignalled        // the same, and signalled since it began looking: it looks again
	writerParked           // a writer waits on wake for the next signal (its poll is flowing)
	writerEnded            // the writer ended the connection: signals start nothing any more
)

// client is one served connection: its mailbox, its writer's state, and how it ends.
type client struct {
	hub      *Hub
	conn     Conn
	aud      Audience
	hz       int
	interval time.Duration // the least time between two messages: 1/hz

	// poll is set by join, before anything can start a writer, and never changes; idx (the index
	// in poll.clients[aud]) is guarded by Hub.mu.
	poll *pollState
	idx  int

	// The mailbox: slot holds the newest message not yet taken (latest wins). Whoever changes
	// what the writer looks at (the slot, pingDue, stopped) then signals it.
	slot    atomic.Pointer[message]
	pingDue atomic.Bool // set when a ping is due

	// state is the writer's (one of the writer states above); wake carries the token that ends a
	// parked writer's wait; writer is c.write, made once, so that starting a writer goroutine
	// allocates nothing.
	state  atomic.Uint32
	wake   chan struct{}
	writer func()

	// stopped is set, once, to end the writer; closeCode (not 0) and closeText are then the close
	// frame it writes first. They are set before stopped.
	stopOnce  sync.Once
	stopped   atomic.Bool
	closeCode int
	closeText string

	// done is closed when the writer has ended the connection; err is then why it did, if it
	// was not asked to (an eviction).
	done chan struct{}
	err  error

	// readMu orders the reader's read deadline extensions after the writer's cut: once cut is set,
	// the read deadline is never pushed back again, so the blocked reader surely returns.
	readMu sync.Mutex
	cut    bool

	// ping is the ping timer: Serve sets it once the connection has joined and stops it once the
	// writer has ended; the writer resets it after each ping.
	ping *time.Timer

	// Owned by the writer. Successive writers see each other's changes: a writer's last change of
	// state (to writerIdle) happens before the change that starts the next one.
	seq  uint64
	last *message    // the last message sent
	sent time.Time   // when it was sent
	hold *time.Timer // runs a writer when a held message may go; nil until one is first held
}

// offer puts m in c's mailbox, replacing whatever is there, and signals the writer. It never
// blocks.
func (c *client) offer(m *message) {
	c.slot.Store(m)
	c.signal()
}

// signal makes a writer look at the mailbox after the call: it wakes the writer when it waits,
// starts a writer goroutine when none runs, and otherwise makes the running one look again before
// it waits or returns. It does nothing once the connection is ended, and never blocks.
func (c *client) signal() {
	if c.claim() {
		go c.writer()
	}
}

// writeNow is signal for a goroutine that has nothing else to do (a timer's): when no writer runs,
// it becomes the writer itself rather than start one.
func (c *client) writeNow() {
	if c.claim() {
		c.write()
	}
}

// claim records that the writer has something to look at, waking it when it waits. It reports
// true when no writer runs: the caller must then run one (c.write), the only one until it returns.
// The token it sends never blocks: a writer parks only with wake empty.
func (c *client) claim() bool {
	for {
		switch c.state.Load() {
		case writerIdle:
			if c.state.CompareAndSwap(writerIdle, writerRunning) {
				return true
			}
		case writerParked:
			if c.state.CompareAndSwap(writerParked, writerRunning) {
				c.wake <- struct{}{}
				return false
			}
		case writerRunning:
			if c.state.CompareAndSwap(writerRunning, writerSignalled) {
				return false
			}
		default: // writerSignalled or writerEnded
			return false
		}
	}
}

// release wakes the writer if it waits, so that it ends (its poll went quiet). Unlike signal, it
// never starts a writer. It never blocks.
func (c *client) release() {
	if c.state.CompareAndSwap(writerParked, writerRunning) {
		c.wake <- struct{}{}
	}
}

// pingNow is the ping timer's function: a ping is due.
func (c *client) pingNow() {
	c.pingDue.Store(true)
	c.writeNow()
}

// stop asks the writer to end the connection, first writing a close frame with code when code is
// not 0. Only the first call counts; it never blocks.
func (c *client) stop(code int, text string) {
	c.stopOnce.Do(func() {
		c.closeCode, c.closeText = code, text
		c.stopped.Store(true)
		c.signal()
	})
}

// read is the reader loop: it discards the client's messages and returns the error that ended
// the reading, or ErrFlood after asking the writer to close the connection with 1008.
func (c *client) read() error {
	tokens, last := float64(floodBurst), time.Now()
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return err
		}
		now := time.Now()
		tokens = min(floodBurst, tokens+now.Sub(last).Seconds()*floodRate) - 1
		last = now
		if tokens < 0 {
			c.hub.stats.floods.Add(1)
			c.stop(closePolicyViolation, "too many messages")
			return ErrFlood
		}
	}
}

// pong is the connection's pong handler: the client is alive.
func (c *client) pong(string) error { return c.extendRead() }

// extendRead pushes the read deadline pongWait ahead, unless the writer has cut the connection.
func (c *client) extendRead() error {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.cut {
		return nil
	}
	return c.conn.SetReadDeadline(time.Now().Add(pongWait))
}

// write is the connection's writer, run (by signal, in a goroutine of its own, or by writeNow) when
// no writer runs. It looks at the mailbox until nothing more was signalled; then, while its poll
// is flowing (pollState.flowing), it waits for the next signal, and otherwise returns, so that the
// connections of a quiet poll hold no writer goroutine. It ends the connection (stop, or a write
// that failed) by moving to writerEnded and closing done.
func (c *client) write() {
	for {
		// What was signalled before this point is seen by the look below; a signal after it
		// makes the loop look again.
		if c.state.Load() == writerSignalled {
			c.state.Store(writerRunning)
		}
		if !c.look() {
			c.state.Store(writerEnded)
			close(c.done)
			return
		}
		if !c.poll.flowing.Load() {
			if c.state.CompareAndSwap(writerRunning, writerIdle) {
				return
			}
			continue
		}
		if !c.state.CompareAndSwap(writerRunning, writerParked) {
			continue
		}
		// The poll may have gone quiet since flowing was read, and its release found this
		// writer not parked yet: then the writer goes on by itself, unless a signal just woke
		// it (and sent the token).
		if !c.poll.flowing.Load() && c.state.CompareAndSwap(writerParked, writerRunning) {
			continue
		}
		<-c.wake
	}
}

// look does what the writer has to do now: end the connection when stopped, ping when a ping is
// due, and send the mailbox's message when it differs from the last one sent and 1/hz has passed
// since that one (else the hold timer runs a writer when it may go). It reports false when it
// ended the connection.
func (c *client) look() bool {
	if c.stopped.Load() {
		if c.closeCode != 0 {
			_ = c.conn.WriteControl(closeMessage, closePayload(c.closeCode, c.closeText),
				time.Now().Add(writeWait))
		}
		c.end()
		return false
	}
	if c.pingDue.Swap(false) {
		if err := c.conn.WriteControl(pingMessage, nil, time.Now().Add(writeWait)); err != nil {
			c.evict(err)
			return false
		}
		c.ping.Reset(pingPeriod)
	}
	m := c.slot.Load()
	if m == nil {
		return true
	}
	now := time.Now()
	if wait := c.wait(c.last, m, c.sent, now); wait > 0 {
		if c.hold == nil {
			c.hold = time.AfterFunc(wait, c.writeNow)
		} else {
			c.hold.Reset(wait)
		}
		return true
	}
	m = c.slot.Swap(nil) // the same message or a newer one, read later still
	if m == nil || c.last != nil && bytes.Equal(m.content, c.last.content) {
		return true
	}
	if err := c.send(m, now); err != nil {
		c.evict(err)
		return false
	}
	c.last, c.sent = m, now
	c.hub.stats.messages[c.aud].Add(1)
	return true
}

// wait returns how long the writer holds m, the newest message in the mailbox, before sending it
// to a client that was last sent last, at sent; 0: send it now.
//
// When 1/hz is a whole number of ticks (hz the tick rate, most often), the client's hz is kept by
// when the messages were read, not by when they were sent: a message goes when it was read 1/hz
// after the last one sent (less half a tick of tolerance for a late tick). Counting from the send
// time instead would hold every message until 1/hz after the one before was sent: a client that
// joined, or was once written late, just after a tick would get every later message late by as
// much, up to 1/hz. Should no later reading come (nothing changed since), a message read too soon
// goes a tick after it would have been due. Otherwise (say 4 Hz among 10 Hz ticks) the client gets
// the newest message 1/hz after the last one was sent.
func (c *client) wait(last, m *message, sent, now time.Time) time.Duration {
	if last == nil || c.interval == 0 {
		return 0
	}
	tick := time.Second / time.Duration(max(c.hub.stats.tickHz.Load(), 1))
	if r := c.interval % tick; r > time.Millisecond && tick-r > time.Millisecond {
		return max(sent.Add(c.interval).Sub(now), 0)
	}
	due := last.readAt.Add(c.interval - tick/2)
	if !m.readAt.Before(due) {
		return 0
	}
	// Read too soon: a later reading replaces m if the content changes again; if none has come a
	// tick after due, m is the latest content and goes. (Holding it for a later reading whatever
	// the time, as this did, held the only change of a quiet poll for good.)
	return max(due.Add(tick).Sub(now), 0)
}

// send writes m with the connection's next seq, built in a buffer of the hub's pool (so that an
// idle connection holds no buffer; WriteMessage keeps nothing of it).
func (c *client) send(m *message, now time.Time) error {
	c.seq++
	buf := c.hub.bufs.Get().(*[]byte)
	b := append((*buf)[:0], msgPrefix...)
	b = strconv.AppendUint(b, c.seq, 10)
	b = append(b, m.tail...)
	err := c.conn.SetWriteDeadline(now.Add(writeWait))
	if err == nil {
		err = c.conn.WriteMessage(textMessage, b)
	}
	*buf = b[:0]
	c.hub.bufs.Put(buf)
	return err
}

// evict ends the connection after the write error err; it counts as an eviction unless the
// connection was ending anyway.
func (c *client) evict(err error) {
	if !c.stopped.Load() {
		c.err = fmt.Errorf("%w: %w", ErrEvicted, err)
		c.hub.stats.evictions.Add(1)
	}
	c.end()
}

// end unblocks the reader for good and closes the connection.
func (c *client) end() {
	c.readMu.Lock()
	c.cut = true
	_ = c.conn.SetReadDeadline(time.Now())
	c.readMu.Unlock()
	_ = c.conn.Close()
}
