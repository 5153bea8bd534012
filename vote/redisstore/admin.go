package redisstore

import (
	"context"

	"github.com/livevote/livevote/vote"
	"github.com/redis/go-redis/v9"
)

// LogAction appends an organiser's or operator's action to the poll's ballot log stream: one XADD
// with the fields of a ballot entry that apply (receipt, at, state "admin") and action, value,
// role. The caller logs the action before it applies it, so that no applied change is missing
// from the log.
func (s *Store) LogAction(ctx context.Context, p *vote.Poll, a vote.AdminAction) error {
	err := s.client.XAdd(ctx, &redis.XAddArgs{
		Stream: s.keysOf(p).log,
		Values: []any{"receipt", "", "at", a.At.UnixMilli(), "state", string(vote.LogAdmin),
			"action", a.Action, "value", a.Value, "role", a.Role},
	}).Err()
	if err != nil {
		return vote.Unavailable(err)
	}
	return nil
}
