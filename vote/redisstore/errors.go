package redisstore

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Errors returns how many Redis commands have failed since the store opened: no answer, a
// broken connection, or an error reply (a missing key, redis.Nil, is not a failure). For metrics.
func (s *Store) Errors() uint64 { return s.errs.Load() }

// errorHook counts failed commands, one by one and in pipelines.
type errorHook struct{ n *atomic.Uint64 }

func (h errorHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h errorHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(cmd.Err())
		return err
	}
}

func (h errorHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			h.count(cmd.Err())
		}
		return err
	}
}

func (h errorHook) count(err error) {
	if err != nil && !errors.Is(err, redis.Nil) {
		h.n.Add(1)
	}
}
