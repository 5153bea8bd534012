package hub_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/hub/internal/sched"
	"github.com/livevote/livevote/vote"
)

// Most tests run in a synctest bubble: time is fake and advances only when every goroutine is
// blocked, so timing bounds are checked exactly and a minute of hub time takes no time.

var atFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestFirstMessageIsFullSnapshotAndSeqCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		pub := hs.serve("p", hub.Public, 4)
		org := hs.serve("p", hub.Organiser, 4)
		synctest.Wait()

		for _, c := range []*served{pub, org} {
			fs := c.texts()
			if len(fs) != 1 {
				t.Fatalf("%d messages right after join, want 1", len(fs))
			}
			if !fs[0].at.Equal(c.joined) {
				t.Errorf("first message at %v, want at join %v", fs[0].at, c.joined)
			}
			m := decode(t, fs[0])
			if m.Type != "snapshot" || m.Poll != "p" || m.Seq != 1 || m.Status != "open" ||
				m.Results != "hidden" || m.Ballots != 3 || m.Rate != 1.3 {
				t.Errorf("first message %s", fs[0].data)
			}
			if !atFormat.MatchString(m.At) {
				t.Errorf("at %q is not RFC 3339 UTC with milliseconds", m.At)
			}
			if at, err := time.Parse(time.RFC3339, m.At); err != nil || !at.Equal(c.joined.Truncate(time.Millisecond)) {
				t.Errorf("at %q (%v), want %v", m.At, err, c.joined)
			}
		}
		if m := decode(t, org.texts()[0]); m.Tally["a"] != 2 || m.Tally["b"] != 1 || len(m.Tally) != 3 ||
			m.Held == nil || *m.Held != 1 {
			t.Errorf("organiser message %s: want the tally and held", org.texts()[0].data)
		}

		for range 3 {
			hs.src.vote("p")
			time.Sleep(time.Second)
		}
		synctest.Wait()
		for _, c := range []*served{pub, org} {
			fs := c.texts()
			if len(fs) != 4 {
				t.Fatalf("%d messages after 3 changes, want 4", len(fs))
			}
			for i, f := range fs {
				m := decode(t, f)
				if m.Seq != int64(i+1) || m.Ballots != int64(3+i) {
					t.Errorf("message %d: seq %d ballots %d, want %d and %d", i, m.Seq, m.Ballots, i+1, 3+i)
				}
			}
		}
	})
}

// churn changes the poll's snapshot every period until the returned stop is called; stop waits
// for it to end.
func churn(src *fakeSource, poll string, period time.Duration) (stop func()) {
	return every(period, func() { src.vote(poll) })
}

// every calls f every period in a goroutine until the returned stop is called; stop waits for
// the goroutine to end and may be called more than once.
func every(period time.Duration, f func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			f()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}
}

// checkIntervals fails when two consecutive messages are closer than min.
func checkIntervals(t *testing.T, name string, fs []frame, min time.Duration) {
	t.Helper()
	for i := 1; i < len(fs); i++ {
		if d := fs[i].at.Sub(fs[i-1].at); d < min {
			t.Errorf("%s: messages %d and %d only %v apart, want at least %v", name, i-1, i, d, min)
		}
	}
}

func TestHzBoundsMessagesWhileSnapshotChanges100PerSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		slow := hs.serve("p", hub.Public, 1)
		fast := hs.serve("p", hub.Organiser, 10) // the tick runs at 10 Hz
		def := hs.serve("p", hub.Public, 0)      // default: 4 Hz

		stop := churn(hs.src, "p", 10*time.Millisecond)
		time.Sleep(5 * time.Second)
		stop()
		synctest.Wait()

		for _, tc := range []struct {
			name     string
			c        *served
			interval time.Duration
			min, max int // messages in 5 s (the first at join)
		}{
			{"hz=1", slow, time.Second, 5, 6},
			{"hz=4 (default)", def, 250 * time.Millisecond, 19, 21},
			{"hz=10", fast, 100 * time.Millisecond, 45, 51},
		} {
			fs := tc.c.texts()
			if len(fs) < tc.min || len(fs) > tc.max {
				t.Errorf("%s: %d messages in 5 s, want %d to %d", tc.name, len(fs), tc.min, tc.max)
			}
			checkIntervals(t, tc.name, fs, tc.interval)
		}
		before := len(slow.texts()) + len(fast.texts()) + len(def.texts())
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if after := len(slow.texts()) + len(fast.texts()) + len(def.texts()); after > before+3 {
			t.Errorf("%d messages after the changes stopped, want at most the 3 last changes", after-before)
		}
	})
}

// When one writer goroutine cannot write a tick's messages before the next tick (300 dashboards
// whose writes take 1 ms each: 300 ms a tick at 4 Hz), the writers' pace rule writes them on
// more, up to GOMAXPROCS-1, and every dashboard gets every tick. With the process's processors
// as main sets them (one more than the machine's two) the rule may use two goroutines.
func TestEveryTickDeliveredWhenOneWriterFallsBehind(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		var dashboards []*served
		for range 300 {
			dashboards = append(dashboards, hs.serve("p", hub.Public, 4, func(c *fakeConn) { c.writeTakes = time.Millisecond }))
		}
		time.Sleep(time.Second) // joined, and their first messages written
		synctest.Wait()
		before := make([]int, len(dashboards))
		for i, d := range dashboards {
			before[i] = len(d.texts())
		}
		stop := churn(hs.src, "p", 10*time.Millisecond) // every tick has a change to send
		time.Sleep(5 * time.Second)
		stop()
		synctest.Wait()
		least := -1
		for i, d := range dashboards {
			if n := len(d.texts()) - before[i]; least < 0 || n < least {
				least = n
			}
		}
		if least < 19 { // 20 ticks in 5 s at 4 Hz, give or take the edges
			t.Errorf("a dashboard got %d messages in 5 s of changes at 4 Hz, want every tick (19 at least)", least)
		}
	})
}

// TestHzBoundRealClock checks the hz=1 bound on the real clock, allowing for the half tick (50
// ms at 10 Hz) by which a message may follow the one before it early (client.wait: pacing keeps
// to when messages were read, and a late tick or a late write moves the send times). A bound of
// 995 ms failed now and then on a loaded machine, before and after the writer gate alike.
func TestHzBoundRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 3 s")
	}
	hs := start(t, hub.Options{}, "p")
	defer hs.stop()
	slow := hs.serve("p", hub.Public, 1)
	hs.serve("p", hub.Public, 10)
	stop := churn(hs.src, "p", 10*time.Millisecond)
	defer stop()
	time.Sleep(3200 * time.Millisecond)
	fs := slow.texts()
	if len(fs) < 3 || len(fs) > 4 {
		t.Errorf("hz=1: %d messages in 3.2 s, want 3 or 4", len(fs))
	}
	checkIntervals(t, "hz=1", fs, time.Second-50*time.Millisecond)
}

func TestNoMessageWhenNothingChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		pub := hs.serve("p", hub.Public, 10)
		org := hs.serve("p", hub.Organiser, 10)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if n, m := len(pub.texts()), len(org.texts()); n != 1 || m != 1 {
			t.Fatalf("%d public and %d organiser messages in 5 s without change, want 1 each", n, m)
		}
		if n := hs.src.readCount("p"); n < 50 {
			t.Errorf("%d reads in 5 s at 10 Hz", n)
		}

		// The rate moves within its rounding: nothing to send.
		hs.src.update("p", func(s *vote.Snapshot) { s.Rate = 1.26 })
		time.Sleep(time.Second)
		synctest.Wait()
		if n, m := len(pub.texts()), len(org.texts()); n != 1 || m != 1 {
			t.Errorf("rate 1.25 -> 1.26: %d public and %d organiser messages, want 1 each", n, m)
		}

		// A held ballot is a ballot received: everyone sees the count move (no oracle).
		hs.src.update("p", func(s *vote.Snapshot) { s.Held++ })
		time.Sleep(time.Second)
		synctest.Wait()
		if n, m := len(pub.texts()), len(org.texts()); n != 2 || m != 2 {
			t.Errorf("one more held ballot: %d public and %d organiser messages, want 2 each", n, m)
		}
		if m := decode(t, pub.texts()[1]); m.Ballots != 4 || m.Held != nil {
			t.Errorf("public message %s: want ballots 4 (held included), no held", pub.texts()[1].data)
		}
		// Its release moves it from held to counted: the public count stays.
		hs.src.update("p", func(s *vote.Snapshot) { s.Held--; s.Ballots++ })
		time.Sleep(time.Second)
		synctest.Wait()
		if n, m := len(pub.texts()), len(org.texts()); n != 2 || m != 3 {
			t.Errorf("a release: %d public and %d organiser messages, want 2 and 3", n, m)
		}

		if m := decode(t, org.texts()[1]); m.Held == nil || *m.Held != 2 {
			t.Errorf("organiser message %s: want held 2", org.texts()[1].data)
		}

		// A fraud counter changes what organisers see only.
		hs.src.update("p", func(s *vote.Snapshot) {
			s.Fraud = vote.FraudCounts{Results: map[string]int64{"held": 2}, Signals: map[string]int64{"tool_agent": 2}}
		})
		time.Sleep(time.Second)
		synctest.Wait()
		if n, m := len(pub.texts()), len(org.texts()); n != 2 || m != 4 {
			t.Errorf("fraud counters changed: %d public and %d organiser messages, want 2 and 4", n, m)
		}
		if m := decode(t, org.texts()[3]); m.Fraud == nil || m.Fraud.Signals["tool_agent"] != 2 {
			t.Errorf("organiser message %s: want the fraud counters", org.texts()[3].data)
		}
	})
}

func TestNoMessageWhenTheContentCameBackWithinTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		slow := hs.serve("p", hub.Public, 1)
		fast := hs.serve("p", hub.Organiser, 10)
		time.Sleep(2050 * time.Millisecond)
		hs.src.vote("p") // goes to the slow client at the next tick: its interval has passed
		time.Sleep(200 * time.Millisecond)
		hs.src.update("p", func(s *vote.Snapshot) { s.State.Status = vote.StatusPaused })
		time.Sleep(300 * time.Millisecond) // the pause is published, and waits for the slow client's turn
		hs.src.update("p", func(s *vote.Snapshot) { s.State.Status = vote.StatusOpen })
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if n := len(slow.texts()); n != 2 {
			t.Errorf("hz=1 client got %d messages for a vote, then a pause undone within its interval; want 2", n)
		}
		if n := len(fast.texts()); n != 4 {
			t.Errorf("hz=10 client got %d messages for a vote, a pause and a resume; want 4", n)
		}
	})
}

func TestPublicGetsTallyOnlyWhenVisible(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		pub := hs.serve("p", hub.Public, 4)
		org := hs.serve("p", hub.Organiser, 4) // the tick runs at 4 Hz
		for range 10 {
			hs.src.vote("p")
			time.Sleep(300 * time.Millisecond)
		}
		synctest.Wait()
		if len(pub.texts()) < 10 {
			t.Fatalf("public got %d messages for 10 changes", len(pub.texts()))
		}
		for _, f := range pub.texts() {
			if bytes.Contains(f.data, []byte(`"tally"`)) || bytes.Contains(f.data, []byte(`"held"`)) || bytes.Contains(f.data, []byte(`"fraud"`)) {
				t.Fatalf("public message while hidden: %s", f.data)
			}
		}
		for _, f := range org.texts() {
			if m := decode(t, f); m.Tally == nil || m.Held == nil || m.Fraud == nil || m.Fraud.Results == nil {
				t.Fatalf("organiser message without tally, held or fraud: %s", f.data)
			}
		}

		time.Sleep(time.Second) // past every hz interval
		n := len(pub.texts())
		hs.src.update("p", func(s *vote.Snapshot) { s.State.Results = vote.ResultsRevealed })
		changed := time.Now()
		time.Sleep(250 * time.Millisecond) // one tick
		synctest.Wait()
		fs := pub.texts()
		if len(fs) != n+1 {
			t.Fatalf("public got %d messages within a tick of the reveal, want 1", len(fs)-n)
		}
		if m := decode(t, fs[n]); m.Results != "revealed" || m.Tally["a"] != 12 || m.Held != nil {
			t.Errorf("public message after the reveal: %s", fs[n].data)
		}
		if d := fs[n].at.Sub(changed); d > 250*time.Millisecond {
			t.Errorf("the reveal reached the public after %v, want within one tick (250ms)", d)
		}

		// A staged reveal: the public sees only the places the stage has shown, and a step (a
		// change of Withheld alone) reaches it within a tick.
		time.Sleep(time.Second)
		n = len(pub.texts())
		hs.src.update("p", func(s *vote.Snapshot) { s.State.Withheld = 1 })
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		if fs := pub.texts(); len(fs) != n+1 {
			t.Errorf("public got %d messages within a tick of a reveal step, want 1", len(fs)-n)
		} else if m := decode(t, fs[n]); m.Withheld == nil || *m.Withheld != 1 || m.Tally["b"] != 1 || len(m.Tally) != 2 {
			t.Errorf("public message with the first place withheld: %s", fs[n].data)
		}
		hs.src.update("p", func(s *vote.Snapshot) { s.State.Withheld = 0 })

		// A change of status reaches every client within a tick too.
		time.Sleep(time.Second)
		hs.src.update("p", func(s *vote.Snapshot) { s.State.Status = vote.StatusPaused })
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		for _, c := range []*served{pub, org} {
			fs := c.texts()
			if m := decode(t, fs[len(fs)-1]); m.Status != "paused" {
				t.Errorf("last message within a tick of pausing: %s", fs[len(fs)-1].data)
			}
		}
	})
}

func TestClientThatDoesNotReadIsEvictedOthersKeepUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		good := hs.serve("p", hub.Public, 10)
		org := hs.serve("p", hub.Organiser, 10)
		stop := churn(hs.src, "p", 50*time.Millisecond)
		defer stop()
		time.Sleep(time.Second)
		stuck := hs.serve("p", hub.Public, 10, func(f *fakeConn) { f.blockWrites = true })

		err := stuck.wait(t, time.Minute)
		if !errors.Is(err, hub.ErrEvicted) {
			t.Errorf("Serve of the stuck client returned %v, want ErrEvicted", err)
		}
		if d := stuck.ended.Sub(stuck.joined); d > 2*time.Second {
			t.Errorf("stuck client evicted %v after its first write, want within 2 s", d)
		}
		if got := hs.h.Stats().Evictions; got != 1 {
			t.Errorf("Stats().Evictions = %d, want 1", got)
		}
		time.Sleep(time.Second)
		stop()
		synctest.Wait()
		for _, c := range []*served{good, org} {
			fs := c.texts()
			if len(fs) < 28 {
				t.Errorf("%d messages in 3 s at 10 Hz with a change every 50 ms", len(fs))
			}
			// The stuck client's write holds the one busy writer until the stall watch starts
			// another (sched.StallAfter): the message behind it goes that much late, and the next
			// one, paced by when it was read, on time.
			checkIntervals(t, "hz=10", fs, 100*time.Millisecond-sched.StallAfter)
			for i := 1; i < len(fs); i++ {
				if d := fs[i].at.Sub(fs[i-1].at); d > 200*time.Millisecond {
					t.Errorf("a gap of %v between messages %d and %d while the stuck client blocked", d, i-1, i)
				}
			}
			if !c.running() {
				t.Errorf("a good client was disconnected")
			}
		}
	})
}

func TestReadsOnlyWatchedPollsAtTheFastestClientsRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "a", "b", "c")
		defer hs.stop()
		reads := func() (a, b, c int) {
			return hs.src.readCount("a"), hs.src.readCount("b"), hs.src.readCount("c")
		}
		time.Sleep(5 * time.Second)
		if a, b, c := reads(); a+b+c != 0 {
			t.Fatalf("reads with nobody watching: a %d, b %d, c %d", a, b, c)
		}

		slowA := hs.serve("a", hub.Public, 1)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		a, b, c := reads()
		if a < 10 || a > 12 || b != 0 || c != 0 {
			t.Errorf("10 s with one hz=1 client of a: reads a %d (want 11: join and 1 Hz), b %d, c %d", a, b, c)
		}
		if hz, d := hs.h.Stats().TickHz, hs.h.Drain(); hz != 1 || d != time.Second*hub.DrainPercent/100 {
			t.Errorf("TickHz %d, writers' drain %v; want 1 and %d%% of a second", hz, d, hub.DrainPercent)
		}

		fastB := hs.serve("b", hub.Organiser, 10)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		a2, b2, c2 := reads()
		if a2-a < 98 || a2-a > 102 || b2 < 99 || b2 > 102 || c2 != 0 {
			t.Errorf("10 s with a hz=10 client of b: reads a +%d, b %d (want 100 each), c %d", a2-a, b2, c2)
		}
		if hz, d := hs.h.Stats().TickHz, hs.h.Drain(); hz != 10 || d != time.Second/10*hub.DrainPercent/100 {
			t.Errorf("TickHz %d, writers' drain %v; want 10 and %d%% of 100ms", hz, d, hub.DrainPercent)
		}
		if p := hs.h.Stats().Polls; p != 2 {
			t.Errorf("Stats().Polls %d, want 2", p)
		}

		fastB.leave()
		if err := fastB.wait(t, time.Second); err != nil {
			t.Errorf("Serve after the client left: %v", err)
		}
		time.Sleep(time.Second) // the tick slows at its next beat
		a3, b3, _ := reads()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		a4, b4, _ := reads()
		if a4-a3 < 9 || a4-a3 > 11 || b4 != b3 {
			t.Errorf("10 s after the fast client left: reads a +%d (want 10), b +%d (want 0)", a4-a3, b4-b3)
		}

		slowA.leave()
		slowA.wait(t, time.Second)
		time.Sleep(time.Second)
		a5, b5, c5 := reads()
		time.Sleep(10 * time.Second)
		if a6, b6, c6 := reads(); a6 != a5 || b6 != b5 || c6 != c5 {
			t.Errorf("reads after everybody left")
		}
		if st := hs.h.Stats(); st.Polls != 0 || st.Conns != [2]int{} {
			t.Errorf("Stats after everybody left: %+v", st)
		}
	})
}

func TestFullRefusesWithErrFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{Limits: hub.Limits{MaxConns: 2}}, "p")
		defer hs.stop()
		first := hs.serve("p", hub.Public, 4)
		hs.serve("p", hub.Organiser, 4)
		synctest.Wait()
		if !hs.h.Full() {
			t.Errorf("Full() = false with MaxConns connections")
		}
		third := hs.serve("p", hub.Public, 4)
		if err := third.wait(t, time.Second); !errors.Is(err, hub.ErrFull) {
			t.Errorf("Serve over MaxConns returned %v, want ErrFull", err)
		}
		if fs := third.all(); len(fs) != 1 || fs[0].closeCode() != 1013 {
			t.Errorf("refused connection got frames %v, want one close 1013", fs)
		}
		if st := hs.h.Stats(); st.Refused != 1 || st.Conns != [2]int{1, 1} {
			t.Errorf("Stats %+v, want 1 refused and one connection per audience", st)
		}

		first.leave()
		first.wait(t, time.Second)
		if hs.h.Full() {
			t.Errorf("Full() = true after a connection left")
		}
		again := hs.serve("p", hub.Public, 4)
		synctest.Wait()
		if len(again.texts()) != 1 || !again.running() {
			t.Errorf("a connection after one left was not served")
		}
	})
}

// frameKinds are the frames a client can send, each of which the flood limit counts: send sends
// one (data is a ping's data) without blocking, dropping it when the fake's queue is full.
var frameKinds = []struct {
	name string
	send func(f *fakeConn, data string)
}{
	{"messages", func(f *fakeConn, _ string) { tryPut(f.inbox, struct{}{}) }},
	{"pings", func(f *fakeConn, data string) { tryPut(f.pings, data) }},
	{"pongs", func(f *fakeConn, _ string) { tryPut(f.pongs, struct{}{}) }},
}

// tryPut sends v on ch unless ch is full.
func tryPut[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// flood makes the client send a frame with send every period until the returned stop is called,
// and returns how many it sent by then (numbered from 1: the data of the nth frame is n).
func flood(c *served, period time.Duration, send func(*fakeConn, string)) (stop func() int) {
	n := 0
	stopEvery := every(period, func() {
		n++
		send(c.fakeConn, strconv.Itoa(n))
	})
	return func() int {
		stopEvery()
		return n
	}
}

// A client that sends more than 20 frames a second, sustained, is closed with 1008, whether it
// sends messages, pings or pongs (3,000 pings in a second were all answered once); one that sends
// 15 a second is served, and its pings answered.
func TestFloodingClientIsClosed(t *testing.T) {
	for _, kind := range frameKinds {
		t.Run(kind.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				hs := start(t, hub.Options{}, "p")
				defer hs.stop()
				noisy := hs.serve("p", hub.Public, 4)
				chatty := hs.serve("p", hub.Public, 4) // 15 frames a second: tolerated
				stopNoisy := flood(noisy, 10*time.Millisecond, kind.send)
				defer stopNoisy()
				stopChatty := flood(chatty, time.Second/15, kind.send)
				defer stopChatty()

				if err := noisy.wait(t, time.Minute); !errors.Is(err, hub.ErrFlood) {
					t.Errorf("Serve of a flooding client returned %v, want ErrFlood", err)
				}
				if d := noisy.ended.Sub(noisy.joined); d > time.Second {
					t.Errorf("flooding client (100/s) closed after %v, want within 1 s", d)
				}
				fs := noisy.all()
				if last := fs[len(fs)-1]; last.closeCode() != 1008 {
					t.Errorf("last frame to the flooding client: %d %q, want close 1008", last.op, last.data)
				}
				time.Sleep(10 * time.Second)
				sent := stopChatty()
				synctest.Wait()
				if !chatty.running() {
					t.Errorf("a client sending 15 %s a second was closed", kind.name)
				}
				if n := hs.h.Stats().Floods; n != 1 {
					t.Errorf("Stats().Floods = %d, want 1", n)
				}
				if kind.name != "pings" {
					return
				}
				var pongs []string
				for _, f := range chatty.all() {
					if f.op == opPong {
						pongs = append(pongs, string(f.data))
					}
				}
				if len(pongs) != sent || sent == 0 || pongs[sent-1] != strconv.Itoa(sent) {
					t.Errorf("%d pings answered by %d pongs (%q), want each answered, the last with %q",
						sent, len(pongs), pongs, strconv.Itoa(sent))
				}
			})
		})
	}
}

// A burst of 3,000 pings is closed with 1008 once the bucket (40 frames) is empty: no more than 40
// of them are answered.
func TestPingBurstIsClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		c := hs.serve("p", hub.Public, 4)
		synctest.Wait()
		for i := range 3000 {
			c.ping(strconv.Itoa(i))
		}
		if err := c.wait(t, time.Second); !errors.Is(err, hub.ErrFlood) {
			t.Errorf("Serve of a client sending 3,000 pings at once returned %v, want ErrFlood", err)
		}
		fs := c.all()
		if last := fs[len(fs)-1]; last.closeCode() != 1008 {
			t.Errorf("last frame to the client: %d %q, want close 1008", last.op, last.data)
		}
		pongs := 0
		for _, f := range fs {
			if f.op == opPong {
				pongs++
			}
		}
		if pongs > 40 {
			t.Errorf("%d of 3,000 pings at once answered, want at most 40 (the flood limit's burst)", pongs)
		}
	})
}

func TestShutdownClosesEveryConnectionWith1001(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p", "q")
		cs := []*served{
			hs.serve("p", hub.Public, 4),
			hs.serve("p", hub.Organiser, 10),
			hs.serve("q", hub.Public, 1),
		}
		time.Sleep(time.Second)
		hs.stop()
		for _, c := range cs {
			if err := c.wait(t, 0); err != nil {
				t.Errorf("Serve returned %v at shutdown, want nil", err)
			}
			fs := c.all()
			if last := fs[len(fs)-1]; last.closeCode() != 1001 {
				t.Errorf("last frame at shutdown: %d %q, want close 1001", last.op, last.data)
			}
		}
		late := hs.serve("p", hub.Public, 4)
		if err := late.wait(t, time.Second); !errors.Is(err, hub.ErrClosed) {
			t.Errorf("Serve after shutdown returned %v, want ErrClosed", err)
		}
		if fs := late.all(); len(fs) != 1 || fs[0].closeCode() != 1001 {
			t.Errorf("connection after shutdown got %v, want one close 1001", fs)
		}
		if st := hs.h.Stats(); st.Conns != [2]int{} || st.Polls != 0 {
			t.Errorf("Stats after shutdown %+v", st)
		}
	})
}

func TestServeEndsWhenCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		ctx, cancel := context.WithCancel(context.Background())
		c := hs.serveCtx(ctx, "p", hub.Public, 4)
		other := hs.serve("p", hub.Public, 4)
		time.Sleep(time.Second)
		cancel()
		if err := c.wait(t, time.Second); err != nil {
			t.Errorf("Serve returned %v when its ctx was done, want nil", err)
		}
		fs := c.all()
		if last := fs[len(fs)-1]; last.closeCode() != 1001 {
			t.Errorf("last frame: %d %q, want close 1001", last.op, last.data)
		}
		if !other.running() {
			t.Errorf("another connection ended too")
		}
	})
}

func TestPingsKeepAnsweringClientsSilentOnesEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		alive := hs.serve("p", hub.Public, 4, func(f *fakeConn) { f.autoPong = true })
		silent := hs.serve("p", hub.Public, 4)
		time.Sleep(61 * time.Second)
		synctest.Wait()
		var pings []time.Duration
		for _, f := range alive.all() {
			if f.op == opPing {
				pings = append(pings, f.at.Sub(alive.joined))
			}
		}
		if len(pings) != 3 || pings[0] != 20*time.Second || pings[2] != 60*time.Second {
			t.Errorf("pings at %v, want every 20 s", pings)
		}
		if err := silent.wait(t, 0); err != nil || silent.ended.Sub(silent.joined) != 60*time.Second {
			t.Errorf("client that never answers pings: Serve returned %v after %v, want nil after 60 s",
				err, silent.ended.Sub(silent.joined))
		}
		time.Sleep(5 * time.Minute)
		if !alive.running() {
			t.Errorf("a client that answers pings was disconnected")
		}
	})
}

func TestFirstMessageWaitsForAWorkingSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		hs.src.mu.Lock()
		hs.src.err = errors.New("store down")
		hs.src.mu.Unlock()
		c := hs.serve("p", hub.Public, 4)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := len(c.texts()); n != 0 || !c.running() {
			t.Fatalf("%d messages while the source fails (running %v), want 0 and still served", n, c.running())
		}
		if n := hs.h.Stats().ReadErrors; n < 8 {
			t.Errorf("Stats().ReadErrors = %d after 2 s of failing reads at 4 Hz", n)
		}
		hs.src.mu.Lock()
		hs.src.err = nil
		hs.src.mu.Unlock()
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		if fs := c.texts(); len(fs) != 1 || decode(t, fs[0]).Seq != 1 {
			t.Errorf("messages once the source works: %d, want the first snapshot", len(fs))
		}
	})
}

func TestStatsCountMessagesPerAudience(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		pubs := []*served{hs.serve("p", hub.Public, 10), hs.serve("p", hub.Public, 2)}
		org := hs.serve("p", hub.Organiser, 5)
		stop := churn(hs.src, "p", 30*time.Millisecond)
		time.Sleep(3 * time.Second)
		stop()
		time.Sleep(time.Second)
		synctest.Wait()
		st := hs.h.Stats()
		if want := uint64(len(pubs[0].texts()) + len(pubs[1].texts())); st.Messages[hub.Public] != want {
			t.Errorf("public messages: Stats %d, written %d", st.Messages[hub.Public], want)
		}
		if want := uint64(len(org.texts())); st.Messages[hub.Organiser] != want {
			t.Errorf("organiser messages: Stats %d, written %d", st.Messages[hub.Organiser], want)
		}
		if st.Conns != [2]int{2, 1} || st.Polls != 1 || st.TickHz != 10 {
			t.Errorf("Stats %+v", st)
		}
		if hub.Public.String() != "public" || hub.Organiser.String() != "organiser" {
			t.Errorf("audience names %q %q", hub.Public, hub.Organiser)
		}
	})
}

// The tests below run on the real clock and check with goleak that nothing is left running.

func TestShutdownLeavesNoGoroutineRealClock(t *testing.T) {
	hs := start(t, hub.Options{}, "p", "q")
	for i := range 50 {
		hs.serve([]string{"p", "q"}[i%2], hub.Audience(i%2), 1+i%10)
	}
	stop := churn(hs.src, "p", 5*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	stop()
	hs.stop()
	for _, c := range hs.conns {
		if fs := c.all(); fs[len(fs)-1].closeCode() != 1001 {
			t.Errorf("a connection did not get close 1001 at shutdown")
		}
	}
	goleak.VerifyNone(t)
}

func TestAllClientsLeavingLeavesNoGoroutineRealClock(t *testing.T) {
	hs := start(t, hub.Options{}, "p", "q")
	defer hs.stop()
	running := goleak.IgnoreCurrent() // the hub's Run
	for i := range 50 {
		hs.serve([]string{"p", "q"}[i%2], hub.Audience(i%2), 1+i%10)
	}
	time.Sleep(200 * time.Millisecond)
	for _, c := range hs.conns {
		c.leave()
	}
	for _, c := range hs.conns {
		if err := c.wait(t, 5*time.Second); err != nil {
			t.Errorf("Serve returned %v after the client left", err)
		}
		if len(c.texts()) == 0 {
			t.Errorf("a client got no message")
		}
	}
	if st := hs.h.Stats(); st.Conns != [2]int{} || st.Polls != 0 {
		t.Errorf("Stats after every client left: %+v", st)
	}
	goleak.VerifyNone(t, running)
}
