package app

import (
	"context"
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
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := redisstore.Open(octx, spec)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	log.Info("using Redis")
	return s, nil
}
