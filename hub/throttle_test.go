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
