package app

import (
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/monitoring"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/redisstore"
	"github.com/prometheus/client_golang/prometheus"
)

// newMetrics makes livevote's metrics on reg; the hub's figures, the store's health and its
// pool's statistics are read at each scrape.
func newMetrics(reg prometheus.Registerer, polls []*vote.Poll, live *hub.Hub, st vote.Pinger) *monitoring.Metrics {
	opts := monitoring.Options{Polls: polls, Results: server.VoteResults(), Hub: live, Store: st}
	if rs, ok := st.(*redisstore.Store); ok {
		client := rs.Client()
		opts.Pool = func() monitoring.PoolStats {
			p := client.PoolStats()
			return monitoring.PoolStats{Hits: uint64(p.Hits), Misses: uint64(p.Misses), Timeouts: uint64(p.Timeouts),
				StaleConns: uint64(p.StaleConns), TotalConns: uint64(p.TotalConns), IdleConns: uint64(p.IdleConns)}
		}
	}
	return monitoring.New(reg, opts)
}
