package hub_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livevote/livevote/hub"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness is a running hub over a fakeSource, with the connections a test serves.
type harness struct {
	t      testing.TB
	src    *fakeSource
	h      *hub.Hub
	cancel context.CancelFunc
	ran    chan error
	conns  []*served
}

// served is one connection being served: its fake and what Serve returned (once it has).
type served struct {
	*fakeConn
	joined time.Time
	done   chan error
	ended  time.Time // when Serve returned; set before done receives
	err    error
}

// start runs a hub over a source with the given polls. The caller must call stop.
func start(t testing.TB, opts hub.Options, polls ...string) *harness {
	t.Helper()
	src := newFakeSource(polls...)
	h, err := hub.New(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := &harness{t: t, src: src, h: h, cancel: cancel, ran: make(chan error, 1)}
	go func() { hs.ran <- h.Run(ctx) }()
	return hs
}

// serve serves a new fake connection watching poll; setup, if any, configures the fake first.
func (hs *harness) serve(poll string, aud hub.Audience, hz int, setup ...func(*fakeConn)) *served {
	return hs.serveCtx(context.Background(), poll, aud, hz, setup...)
}

func (hs *harness) serveCtx(ctx context.Context, poll string, aud hub.Audience, hz int, setup ...func(*fakeConn)) *served {
	fc := newFakeConn(hs.t)
	for _, f := range setup {
		f(fc)
	}
	s := &served{fakeConn: fc, joined: time.Now(), done: make(chan error, 1)}
	go func() {
		err := hs.h.Serve(ctx, fc, hs.src.poll(poll), aud, hz)
		fc.released.Store(true)
		s.ended = time.Now()
		s.done <- err
	}()
	hs.conns = append(hs.conns, s)
	return s
}

// wait returns what Serve returned, failing the test when it has not returned within d.
func (s *served) wait(t testing.TB, d time.Duration) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // keep it for later calls
		return err
	default:
	}
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(d):
		t.Fatalf("Serve has not returned after %v", d)
		return nil
	}
}

// running reports whether Serve has not returned yet.
func (s *served) running() bool { return len(s.done) == 0 }

// stop shuts the hub down and waits for Run and every Serve to return.
func (hs *harness) stop() {
	hs.t.Helper()
	hs.cancel()
	select {
	case err := <-hs.ran:
		if err != nil {
			hs.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		hs.t.Fatalf("Run has not returned 10 s after cancel")
	}
	for _, s := range hs.conns {
		s.wait(hs.t, 10*time.Second)
	}
}
