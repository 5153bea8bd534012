package hub

import "time"

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
