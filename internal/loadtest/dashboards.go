package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// dashboard is one live-updates connection. Its reader goroutine owns every field but conn.
type dashboard struct {
	conn *websocket.Conn
	msgs []seen // every snapshot message, in the order received
	seq  uint64 // the last seq
	gaps int64  // messages whose seq was not the last one plus one
	size int64  // bytes received
	err  error  // why reading ended, when not closed by the tool
}

// seen is one snapshot message: when the server read the state (its "at", Unix ns) and when the
// dashboard received it (Unix ns).
type seen struct{ at, recv int64 }

// dashboards is the set of live-updates connections of one run.
type dashboards struct {
	list    []*dashboard
	wg      sync.WaitGroup
	msgs    atomic.Int64 // messages received, for the progress line
	closing atomic.Bool
	lost    atomic.Int64 // connections that ended before the tool closed them
	// peer: the dashboards are subscribers of the peer (peer.go): they answer its pings, and
	// count only the messages that carry an "at" (its publications, not its replies).
	peer bool
}

// connect opens n live-updates connections to url, a few at a time, each retried a few times.
// When hello is not nil, the server is the peer: each connection sends hello first (peer.go).
func connect(ctx context.Context, url string, hello []byte, n int, tell func(string)) (*dashboards, error) {
	ds := &dashboards{list: make([]*dashboard, n), peer: hello != nil}
	dialer := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 256, HandshakeTimeout: 10 * time.Second}
	err := forEach(ctx, n, 16, "connecting dashboards", tell, func(i int) error {
		var conn *websocket.Conn
		var err error
		for try := range 5 {
			if conn, _, err = dialer.DialContext(ctx, url, nil); err == nil {
				break
			}
			time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
		}
		if err == nil && hello != nil {
			err = conn.WriteMessage(websocket.TextMessage, hello)
		}
		if err != nil {
			return fmt.Errorf("dashboard %d: %w", i, err)
		}
		d := &dashboard{conn: conn}
		ds.list[i] = d
		ds.wg.Go(func() { ds.read(d) })
		return nil
	})
	if err != nil {
		ds.close()
		return nil, err
	}
	return ds, nil
}

var (
	atKey  = []byte(`"at":"`)
	seqKey = []byte(`"seq":`)
)

// read is a dashboard's reader: it notes every message's seq and "at" (pongs go out from inside
// NextReader, as the library does).
func (ds *dashboards) read(d *dashboard) {
	buf := make([]byte, 0, 1024)
	for {
		_, r, err := d.conn.NextReader()
		if err != nil {
			if !ds.closing.Load() {
				d.err = err
				ds.lost.Add(1)
			}
			return
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = slices.Grow(buf, len(buf))
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !ds.closing.Load() {
					d.err = err
					ds.lost.Add(1)
				}
				return
			}
		}
		recv := time.Now().UnixNano()
		if ds.peer {
			ds.peerFrame(d, buf, recv)
			continue
		}
		ds.note(d, buf, recv)
	}
}

// peerFrame takes one frame from the peer: JSON lines, each a reply, a ping (answered) or a
// publication (seen).
func (ds *dashboards) peerFrame(d *dashboard, frame []byte, recv int64) {
	for line := range bytes.SplitSeq(frame, []byte("\n")) {
		switch {
		case bytes.Equal(line, peerPing):
			if err := d.conn.WriteMessage(websocket.TextMessage, peerPing); err != nil && !ds.closing.Load() && d.err == nil {
				d.err = err
			}
		case bytes.Contains(line, atKey):
			ds.note(d, line, recv)
		}
	}
}

// note notes one snapshot message, received at recv (Unix ns).
func (ds *dashboards) note(d *dashboard, buf []byte, recv int64) {
	d.size += int64(len(buf))
	var at int64
	if i := bytes.Index(buf, atKey); i >= 0 && len(buf) >= i+len(atKey)+24 {
		if t, err := time.Parse(time.RFC3339Nano, string(buf[i+len(atKey):i+len(atKey)+24])); err == nil {
			at = t.UnixNano()
		}
	}
	if i := bytes.Index(buf, seqKey); i >= 0 {
		rest := buf[i+len(seqKey):]
		j := bytes.IndexAny(rest, ",}")
		if j > 0 {
			if seq, err := strconv.ParseUint(string(rest[:j]), 10, 64); err == nil {
				if seq != d.seq+1 {
					d.gaps++
				}
				d.seq = seq
			}
		}
	}
	d.msgs = append(d.msgs, seen{at: at, recv: recv})
	ds.msgs.Add(1)
}

// close closes every connection and waits for the readers.
func (ds *dashboards) close() {
	ds.closing.Store(true)
	for _, d := range ds.list {
		if d != nil {
			_ = d.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			_ = d.conn.Close()
		}
	}
	ds.wg.Wait()
}

// dashReport is what the dashboards saw.
type dashReport struct {
	Connected int   `json:"connected"`
	Lost      int64 `json:"lost"`
	// Messages counts the messages received in the timed window (MessagesAll: in the whole run).
	Messages    int64 `json:"messages"`
	MessagesAll int64 `json:"messages_all"`
	MeanBytes   int64 `json:"mean_bytes"`
	SeqGaps     int64 `json:"seq_gaps"`
	// TickAt lists, sorted, the distinct "at" (Unix ns, to the millisecond) of the messages
	// whose "at" is in the window: the server's readings that made a message (the peer's
	// publications). Ticks counts them; TickDeliveries counts the messages with one of them
	// that arrived by the end of the settling time (at most one a dashboard and reading), and
	// Undelivered is Connected x Ticks less TickDeliveries: the readings some dashboard never got.
	// Unlike Messages, these do not depend on where the window's edges fall between two ticks:
	// a tick read just before the window's end counts in full, its messages arriving after it.
	// Skipped counts the ticks missing between two readings (a gap of k ticks at hz skips k-1):
	// a tick the server let pass (its source slow, its loop behind) or one that found nothing
	// changed. A window that starts just before a tick whose reading comes before the first vote
	// has one reading fewer than hz x seconds without a skip.
	TickAt         []int64 `json:"tick_at"`
	Ticks          int     `json:"ticks"`
	TickDeliveries int64   `json:"tick_deliveries"`
	Undelivered    int64   `json:"undelivered"`
	Skipped        int     `json:"ticks_skipped"`
	// Delivery is from a message's "at" to its arrival, for messages received in the window
	// (and the settling time after it).
	Delivery summary `json:"delivery"`
	// VoteToVisible is from a vote's acknowledgement to the arrival of the first message read
	// after it, over Sampled dashboards; NotSeen counts (vote, dashboard) pairs never shown.
	VoteToVisible summary  `json:"vote_to_visible"`
	Sampled       int      `json:"vote_to_visible_dashboards"`
	NotSeen       int64    `json:"not_seen"`
	Errors        []string `json:"errors,omitempty"`
}

// maxPairs bounds the (vote, dashboard) pairs the vote-to-visible figure looks at.
const maxPairs = 50_000_000

// report computes the dashboards' figures for the window [from, to), the acknowledgements acks
// (Unix ns, sorted) and the dashboards' rate hz. Call it after close.
func (ds *dashboards) report(from, to, settle time.Time, acks []int64, hz int) dashReport {
	var r dashReport
	var delivery, visible histogram
	f, t, s := from.UnixNano(), to.UnixNano(), settle.UnixNano()
	stride := 1
	if pairs := len(acks) * len(ds.list); pairs > maxPairs {
		stride = (pairs + maxPairs - 1) / maxPairs
	}
	var bytes int64
	errs := map[string]int{}
	ticks := map[int64]bool{}
	for i, d := range ds.list {
		if d == nil {
			continue
		}
		r.Connected++
		r.MessagesAll += int64(len(d.msgs))
		r.SeqGaps += d.gaps
		bytes += d.size
		if d.err != nil {
			errs[d.err.Error()]++
		}
		for _, m := range d.msgs {
			if m.recv >= f && m.recv < t {
				r.Messages++
			}
			if m.at >= f && m.at < t {
				ticks[m.at] = true
				if m.recv < s {
					r.TickDeliveries++
				}
			}
			if m.recv >= f && m.recv < s && m.at > 0 {
				delivery.record(time.Duration(m.recv - m.at))
			}
		}
		if i%stride != 0 || len(acks) == 0 {
			continue
		}
		r.Sampled++
		// A vote acknowledged at a is surely in a snapshot read after a: the first message whose
		// "at" (the read time, truncated to the millisecond) is later than a shows it.
		k := 0
		for _, m := range d.msgs {
			for k < len(acks) && acks[k] < m.at {
				visible.record(time.Duration(m.recv - acks[k]))
				k++
			}
		}
		r.NotSeen += int64(len(acks) - k)
	}
	if r.MessagesAll > 0 {
		r.MeanBytes = bytes / r.MessagesAll
	}
	r.TickAt = slices.Sorted(maps.Keys(ticks))
	r.Ticks = len(r.TickAt)
	if tick := float64(time.Second) / float64(max(hz, 1)); len(r.TickAt) > 1 {
		for i := 1; i < len(r.TickAt); i++ {
			r.Skipped += max(int(math.Round(float64(r.TickAt[i]-r.TickAt[i-1])/tick))-1, 0)
		}
	}
	r.Undelivered = int64(r.Connected)*int64(r.Ticks) - r.TickDeliveries
	r.Lost = ds.lost.Load()
	for e, n := range errs {
		r.Errors = append(r.Errors, fmt.Sprintf("%d× %s", n, e))
	}
	slices.Sort(r.Errors)
	r.Delivery, r.VoteToVisible = delivery.summary(), visible.summary()
	return r
}
