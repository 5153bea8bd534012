package hub_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/hub"
)

// discardConn is a hub.Conn that drops what is written and counts each message on wrote; its
// reads block until the read deadline is moved to the past or the connection is closed.
type discardConn struct {
	wrote   *sync.WaitGroup
	unblock chan struct{}
	once    sync.Once
}

func newDiscardConn(wrote *sync.WaitGroup) *discardConn {
	return &discardConn{wrote: wrote, unblock: make(chan struct{})}
}

var errDiscardClosed = errors.New("discard: closed")

func (d *discardConn) NextReader() (int, io.Reader, error) {
	<-d.unblock
	return 0, nil, errDiscardClosed
}
func (d *discardConn) SetReadLimit(int64)                        {}
func (d *discardConn) SetPingHandler(func(string) error)         {}
func (d *discardConn) SetPongHandler(func(string) error)         {}
func (d *discardConn) SetWriteDeadline(time.Time) error          { return nil }
func (d *discardConn) WriteControl(int, []byte, time.Time) error { return nil }
func (d *discardConn) WriteMessage(int, []byte) error {
	d.wrote.Done()
	return nil
}
func (d *discardConn) SetReadDeadline(t time.Time) error {
	if !t.After(time.Now()) {
		d.Close()
	}
	return nil
}
func (d *discardConn) Close() error {
	d.once.Do(func() { close(d.unblock) })
	return nil
}

// BenchmarkFanout10k measures one tick's fan-out of a changed snapshot to 10,000 connections
// (9,000 public, 1,000 organiser) of one poll: one snapshot read, one encoding per audience, an
// offer to every mailbox, and every connection's writer waking, splicing its seq into its buffer
// and writing (to a fake that discards). An op ends when all 10,000 messages are written. The
// connections ignore their hz (Unthrottle) so that ticks can follow each other at once.
func BenchmarkFanout10k(b *testing.B) {
	const n = 10_000
	src := newFakeSource("p")
	p := src.poll("p")
	h, err := hub.New(src, hub.Options{})
	if err != nil {
		b.Fatal(err)
	}
	h.Unthrottle()
	ctx, cancel := context.WithCancel(context.Background())
	var wrote, served sync.WaitGroup
	wrote.Add(n)
	for i := range n {
		aud := hub.Public
		if i%10 == 0 {
			aud = hub.Organiser
		}
		c := newDiscardConn(&wrote)
		served.Go(func() {
			if err := h.Serve(ctx, c, p, aud, hub.MaxHz); err != nil {
				b.Errorf("Serve: %v", err)
			}
		})
	}
	wrote.Wait() // every connection has its first message
	// One change before timing, as in every timed tick.
	src.vote("p")
	wrote.Add(n)
	h.Tick(ctx)
	wrote.Wait()

	b.ReportAllocs()
	var tickPath time.Duration // the hub's own part: until every mailbox has its message
	for b.Loop() {
		src.vote("p")
		wrote.Add(n)
		t := time.Now()
		h.Tick(ctx)
		tickPath += time.Since(t)
		wrote.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
	b.ReportMetric(float64(tickPath.Nanoseconds())/float64(b.N), "tick-ns/op")

	cancel()
	served.Wait()
}
