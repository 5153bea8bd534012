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

	"github.com/livevote/livevote/hub/internal/sched"
	"github.com/livevote/livevote/vote"
)

const (
	// Time allowed to write one message or control frame. A client that does not read fills its
	// buffers until a write blocks; that write fails after writeWait and the writer evicts the
	// client, so a stalled client is cut off within writeWait of its first blocked write.
	writeWait = time.Second

	// Time allowed to read the next pong from the client: each pong extends the read deadline by
	// pongWait, and a client silent for longer is gone. It must be longer than pingPeriod.
	pongWait = 3 * pingPeriod

	// Send pings to the client with this period (docs/API.md: about every 20 s).
	pingPeriod = 20 * time.Second

	// Largest message a client may send; clients have nothing to say.
	maxMessageSize = 512
)

// client is one served connection: its mailbox, its writer, and how it ends.
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

	// gate runs the writer (writePump) whenever there is something to write, never two at a time.
	gate sched.Gate

	// The mailbox: slot holds the newest message not yet taken (latest wins); pingDue is set when
	// a ping is due; pongDue holds the data of the newest ping from the client not yet answered.
	// Whoever changes what the writer looks at (these, stopped) then signals the gate.
	slot    atomic.Pointer[message]
	pingDue atomic.Bool
	pongDue atomic.Pointer[string]

	// stopped is set, once, to end the writer; closeCode (not 0) and closeText are then the close
	// frame it writes first. They are set before stopped.
	stopOnce  sync.Once
	stopped   atomic.Bool
	closeCode int
	closeText string

	// err is why the writer ended the connection, if it was not asked to (an eviction); it is set
	// before gate.Done() is closed.
	err error

	// readMu orders the reader's read deadline extensions after the writer's cut: once cut is set,
	// the read deadline is never pushed back again, so the blocked reader surely returns.
	readMu sync.Mutex
	cut    bool

	// flood is the reader's own: what the client sent against the flood limit.
	flood flood

	// ping is the ping timer: Serve sets it once the connection has joined and stops it once the
	// writer has ended; the writer resets it after each ping.
	ping *time.Timer

	// Owned by the writer (the gate orders one writer's changes before the next one's).
	seq  uint64
	last *message    // the last message sent
	sent time.Time   // when it was sent
	hold *time.Timer // runs a writer when a held message may go; nil until one is first held
}

// readPump is the reader: it discards the client's messages (the ping and pong handlers run
// inside NextReader) and returns the error that ended the reading (ErrFlood when the client sent
// too much: see received). Only the goroutine that called Serve runs it.
func (c *client) readPump() error {
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return err
		}
		if err := c.received(); err != nil {
			return err
		}
	}
}

// received counts one frame from the client (a message, a ping or a pong) toward the flood
// limit. Over the limit it asks the writer to close the connection with 1008 and returns
// ErrFlood. Only the reader calls it (the ping and pong handlers run inside NextReader).
func (c *client) received() error {
	if c.flood.take(time.Now()) {
		return nil
	}
	c.hub.stats.floods.Add(1)
	c.stop(closePolicyViolation, "too many messages")
	return ErrFlood
}

// onPing is the connection's ping handler: the writer answers the client's ping (only the newest
// when several wait, as RFC 6455 allows), so that nothing but the writer writes to the socket.
func (c *client) onPing(data string) error {
	if err := c.received(); err != nil {
		return err
	}
	c.pongDue.Store(&data)
	c.gate.Signal()
	return nil
}

// onPong is the connection's pong handler: the client is alive.
func (c *client) onPong(string) error {
	if err := c.received(); err != nil {
		return err
	}
	return c.extendRead()
}

// extendRead pushes the read deadline pongWait ahead, unless the writer has cut the connection.
func (c *client) extendRead() error {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.cut {
		return nil
	}
	return c.conn.SetReadDeadline(time.Now().Add(pongWait))
}

// writePump is the writer, one turn of gorilla's writePump loop: the gate runs it whenever there
// is something to write, never two at a time. It does what is to write now: end the connection
// when stopped, ping when a ping is due, answer the client's ping, and send the mailbox's message
// when it differs from the last one sent and 1/hz has passed since that one (else the hold timer
// runs a writer when it may go). It reports false when it ended the connection.
func (c *client) writePump() bool {
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
	if data := c.pongDue.Swap(nil); data != nil {
		if err := c.conn.WriteControl(pongMessage, []byte(*data), time.Now().Add(writeWait)); err != nil {
			c.evict(err)
			return false
		}
	}
	m := c.slot.Load()
	if m == nil {
		return true
	}
	now := time.Now()
	if wait := c.wait(c.last, m, c.sent, now); wait > 0 {
		if c.hold == nil {
			c.hold = time.AfterFunc(wait, c.gate.RunHere)
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

// offer puts m in c's mailbox, replacing whatever is there, and signals the writer. It never
// blocks.
func (c *client) offer(m *message) {
	c.slot.Store(m)
	c.gate.Signal()
}

// pingNow is the ping timer's function: a ping is due.
func (c *client) pingNow() {
	c.pingDue.Store(true)
	c.gate.RunHere()
}

// stop asks the writer to end the connection, first writing a close frame with code when code is
// not 0. Only the first call counts; it never blocks.
func (c *client) stop(code int, text string) {
	c.stopOnce.Do(func() {
		c.closeCode, c.closeText = code, text
		c.stopped.Store(true)
		c.gate.Signal()
	})
}

// Serve serves one WebSocket connection watching poll for audience aud at most hz times a second
// (1 to MaxHz; 0 means DefaultHz; other values are clamped). Call it from the connection's handler,
// after the upgrade: it blocks for the connection's life, as the connection's reader, and returns
// once the connection is unregistered and nothing of the hub uses conn any more, so the handler may
// return (and conn be reused) right after. The writes happen in another goroutine, the
// connection's writer (one of the hub's pool of writers, or a timer's), which runs while the
// connection has something to write; between writes the caller's goroutine is the only one the
// connection holds.
//
// The first message, a full snapshot, goes out at once; then a message goes whenever the content
// changed since the connection's last message and 1/hz has passed since it. Messages from the
// client are discarded and its pings answered (by the writer); a flood of messages, pings or pongs
// closes the connection with 1008. The connection ends when the client goes away or stops
// answering pings, when a write to it does not finish in time, when ctx is done or the hub shuts
// down (both close it with 1001, going away).
//
// Serve returns nil when the client went away, ctx was done or the hub shut down; ErrFull (after
// closing with 1013, try again later) over Options.MaxConns; ErrClosed (after closing with 1001)
// once Run has ended; ErrFlood; or an error wrapping ErrEvicted. The hub knows a poll by its
// *vote.Poll: connections watch the same poll when they are given the same pointer.
func (h *Hub) Serve(ctx context.Context, conn Conn, poll *vote.Poll, aud Audience, hz int) error {
	if !aud.valid() {
		return fmt.Errorf("hub: unknown audience %d", aud)
	}
	c := &client{
		hub:   h,
		conn:  conn,
		aud:   aud,
		hz:    clampHz(hz),
		flood: newFlood(time.Now()),
	}
	c.gate.Init(c.writePump, h.writers.Run)
	if !h.noThrottle {
		c.interval = time.Second / time.Duration(c.hz)
	}
	conn.SetReadLimit(maxMessageSize)
	conn.SetPingHandler(c.onPing)
	conn.SetPongHandler(c.onPong)
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
	err := c.readPump()
	stop()
	c.stop(0, "")
	<-c.gate.Done()
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
