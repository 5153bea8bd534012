package vote

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// LogAction appends an organiser's or operator's action to the poll's ballot log stream: one XADD
// with the fields of a ballot entry that apply (receipt, at, state "admin") and action, value,
// role. The caller logs the action before it applies it, so that no applied change is missing
// from the log.
func (s *RedisStore) LogAction(ctx context.Context, p *Poll, a Action) error {
	err := s.client.XAdd(ctx, &redis.XAddArgs{
		Stream: keysOf(p).log,
		Values: []any{"receipt", "", "at", a.At.UnixMilli(), "state", string(LogAdmin),
			"action", a.Action, "value", a.Value, "role", a.Role},
	}).Err()
	if err != nil {
		return errUnavailable(err)
	}
	return nil
}
