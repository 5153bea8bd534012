package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/redisstore"
)

// openStore opens Redis when spec is set, else the embedded memory store.
func openStore(ctx context.Context, spec string, log *slog.Logger) (vote.Store, error) {
	if spec == "" {
		log.Warn("no LIVEVOTE_REDIS_URL: using the embedded in-memory store: one instance only, nothing survives a restart; set LIVEVOTE_REDIS_URL for a real vote")
		return memstore.New(), nil
	}
	for {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		s, err := redisstore.Open(octx, spec)
		cancel()
		switch {
		case err == nil:
			log.Info("using Redis")
			return s, nil
		case !errors.Is(err, redisstore.ErrLoading):
			return nil, fmt.Errorf("redis: %w", err)
		}
		// A Redis restarted with a large AOF reads it before it answers: wait rather than exit
		// (and be restarted, and exit again) until it has.
		log.Warn("Redis is loading its data: waiting for it before serving", "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("redis: %w", err)
		case <-time.After(loadingRetry):
		}
	}
}

// loadingRetry is how long openStore waits before asking a loading Redis again.
const loadingRetry = time.Second
