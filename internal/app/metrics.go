package app

import (
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/monitoring"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/redisstore"
	"github.com/prometheus/client_golang/prometheus"
)

// newMetrics makes livevote's metrics on reg, reading the hub's and the store's statistics at
// each scrape.
func newMetrics(reg prometheus.Registerer, polls []*vote.Poll, live *hub.Hub, st vote.Pinger) *monitoring.Metrics {
	opts := monitoring.Options{
		Polls:   polls,
		Results: server.VoteResults(),
		Hub: func() monitoring.HubStats {
			s := live.Stats()
			out := monitoring.HubStats{
				Conns: map[string]int{}, Messages: map[string]uint64{},
				Evictions: s.Evictions, Floods: s.Floods, Refused: s.Refused, ReadErrors: s.ReadErrors,
				TickHz: s.TickHz, LastTick: s.LastTick, LastRead: s.LastRead,
			}
			for a := range s.Conns {
				out.Conns[hub.Audience(a).String()] = s.Conns[a]
				out.Messages[hub.Audience(a).String()] = s.Messages[a]
			}
			return out
		},
		Store: monitoring.StoreStats{Ping: st.Ping},
	}
	if rs, ok := st.(*redisstore.Store); ok {
		opts.Store.Errors = rs.Errors
		opts.Store.Pool = func() monitoring.PoolStats {
			p := rs.Client().PoolStats()
			return monitoring.PoolStats{
				Hits: uint64(p.Hits), Misses: uint64(p.Misses), Timeouts: uint64(p.Timeouts),
				StaleConns: uint64(p.StaleConns), TotalConns: int(p.TotalConns), IdleConns: int(p.IdleConns),
			}
		}
	}
	return monitoring.New(reg, opts)
}
