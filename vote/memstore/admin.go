package memstore

import (
	"context"
	"time"

	"github.com/livevote/livevote/vote"
)

// LogAction appends an organiser's or operator's action to the poll's ballot log (an entry of
// State LogAdmin), its time to the millisecond as the Redis store keeps it. The caller logs the
// action before it applies it, so that no applied change is missing from the log.
func (m *Store) LogAction(ctx context.Context, p *vote.Poll, a vote.AdminAction) error {
	if err := ctx.Err(); err != nil {
		return vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.poll(p).appendLog(vote.LogEntry{At: a.At.Truncate(time.Millisecond), State: vote.LogAdmin, Action: a.Action, Value: a.Value, Role: a.Role})
	return nil
}
