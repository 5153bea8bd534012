package vote

import (
	"context"
	"time"
)

// LogAction appends an organiser's or operator's action to the poll's ballot log (an entry of
// State LogAdmin), its time to the millisecond as the Redis store keeps it. The caller logs the
// action before it applies it, so that no applied change is missing from the log.
func (m *MemoryStore) LogAction(ctx context.Context, p *Poll, a Action) error {
	if err := ctx.Err(); err != nil {
		return errUnavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.poll(p).appendLog(LogEntry{At: a.At.Truncate(time.Millisecond), State: LogAdmin, Action: a.Action, Value: a.Value, Role: a.Role})
	return nil
}
