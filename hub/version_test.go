package hub_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/vote"
)

// A tick asks for the poll's version before it reads a snapshot: without a change it reads none
// (but once every 10 s, in case a change did not move the version);
// a change is read and sent at the next tick; what time alone changes (the rate's window, the
// grace of a reveal step, the schedule) is read until, or when, it changes.
func TestTickReadsNoSnapshotWithoutChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		hs.src.update("p", func(s *vote.Snapshot) { s.Rate = 0 }) // no ballot in the rate's window
		pub := hs.serve("p", hub.Public, 10)
		reads := func(what string, want int) {
			t.Helper()
			synctest.Wait()
			if n := hs.src.readCount("p"); n != want {
				t.Errorf("%s: %d snapshot reads in all, want %d", what, n, want)
			}
		}
		time.Sleep(5 * time.Second)
		reads("5 s without a change", 1) // the join's
		if n := hs.src.versionReadCount("p"); n < 49 || n > 51 {
			t.Errorf("%d version reads in 5 s at 10 Hz, want 50", n)
		}
		time.Sleep(10 * time.Second)
		reads("15 s without a change", 2) // and once 10 s after it, all the same
		if n := len(pub.texts()); n != 1 {
			t.Fatalf("%d messages without a change, want 1", n)
		}

		hs.src.vote("p")
		time.Sleep(time.Second)
		reads("a vote, then a second", 3)
		if n := len(pub.texts()); n != 2 {
			t.Fatalf("%d messages after a vote, want 2", n)
		}

		// The rate slides with time while its window holds a ballot: read at every tick.
		hs.src.update("p", func(s *vote.Snapshot) { s.Rate = 0.5 })
		time.Sleep(time.Second)
		reads("a second with a rate", 13)
		hs.src.update("p", func(s *vote.Snapshot) { s.Rate = 0 })
		time.Sleep(time.Second)
		reads("the window empty, then a second", 14)

		// A reveal step: the public sees the place the step showed once its grace is over.
		hs.src.update("p", func(s *vote.Snapshot) {
			s.State.Results, s.State.Withheld, s.State.Before, s.State.StepAt = vote.ResultsRevealed, 1, 2, time.Now().UnixMilli()
		})
		time.Sleep(2 * time.Second)
		reads("a reveal step, then 2 s", 16) // read for the step, and once its grace (700 ms) is over
		ms := pub.texts()
		if len(ms) != 6 {
			t.Fatalf("%d messages, want 6: the step's and the place's after its grace", len(ms))
		}
		if a, b := decode(t, ms[4]), decode(t, ms[5]); a.Withheld == nil || *a.Withheld != 2 || b.Withheld == nil || *b.Withheld != 1 {
			t.Errorf("messages %s then %s: want withheld 2, then 1", ms[4].data, ms[5].data)
		}

		// The schedule opens the poll: read when it does.
		hs.src.update("p", func(s *vote.Snapshot) {
			s.State.Status, s.Turn = vote.StatusScheduled, time.Now().Add(3*time.Second)
		})
		time.Sleep(2 * time.Second)
		reads("scheduled, 2 s", 17)
		time.Sleep(2 * time.Second)
		reads("the schedule's turn, then 1 s", 18)
		if ms := pub.texts(); len(ms) != 8 || decode(t, ms[7]).Status != string(vote.StatusOpen) {
			t.Errorf("%d messages, want 8, the last one open", len(ms))
		}
	})
}
