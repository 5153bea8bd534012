package hub_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/livevote/livevote/hub"
)

// A client that joins between two ticks gets the following messages as the ticks read them, not
// 1/hz after its join: its hz is kept by when the messages were read. (Keeping it by when they were
// sent pinned each connection to the phase of its join, and carried any late write over to every
// later message: up to 1/hz of delay for nothing.)
func TestMessagesFollowTheTicksNotTheJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		stop := churn(hs.src, "p", 10*time.Millisecond)
		first := hs.serve("p", hub.Public, hub.DefaultHz) // the tick runs at 4 Hz
		time.Sleep(1100 * time.Millisecond)               // between two ticks
		late := hs.serve("p", hub.Public, hub.DefaultHz)
		time.Sleep(3 * time.Second)
		stop()
		synctest.Wait()

		ticks := map[time.Time]bool{}
		for _, f := range first.texts() {
			ticks[f.at] = true
		}
		fs := late.texts()
		if len(fs) < 10 {
			t.Fatalf("the late client got %d messages in 3 s, want about 12", len(fs))
		}
		for i, f := range fs[1:] { // the first came at once, at the join
			if !ticks[f.at] {
				t.Errorf("message %d of the late client came at %s, not with a tick's message (the join was at %s)",
					i+1, f.at.Sub(late.joined), late.joined.Sub(first.joined))
			}
		}
		checkIntervals(t, "late client", fs[1:], 250*time.Millisecond)
	})
}

// A change read sooner than 1/hz after the reading of the client's last message is held, and
// sent when the next reading would have been due even if nothing changes after it: it is the
// latest content. (It was held until a newer message came, which, the content staying the same,
// never came: a ballot page at 1 Hz missed the only vote cast right after it joined.)
func TestEarlyChangeIsSentWhenNothingFollows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		time.Sleep(700 * time.Millisecond)
		c := hs.serve("p", hub.Public, 1) // read at its join, 0.7 s; the tick runs at 1 Hz
		time.Sleep(100 * time.Millisecond)
		hs.src.vote("p") // read by the tick at 1 s: 0.3 s after the join's reading
		time.Sleep(10 * time.Second)
		synctest.Wait()

		fs := c.texts()
		if len(fs) != 2 {
			t.Fatalf("%d messages in 10 s, want 2 (the join's and the vote's)", len(fs))
		}
		if a, b := decode(t, fs[0]).Ballots, decode(t, fs[1]).Ballots; b != a+1 {
			t.Errorf("ballots %d then %d, want one more: the vote", a, b)
		}
		if d := fs[1].at.Sub(fs[0].at); d < 900*time.Millisecond || d > 1600*time.Millisecond {
			t.Errorf("the vote's message came %s after the first, want about 1/hz (1 s) to 1.5 s", d)
		}
	})
}
