package monitoring

import (
	"context"
	"time"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/vote"
	"github.com/prometheus/client_golang/prometheus"
)

// Hub is the live hub as its collector reads it (*hub.Hub): its figures, at each scrape.
type Hub interface {
	Stats() hub.Stats
}

// PoolStats are a Redis connection pool's figures, read at each scrape (Options.Pool): the
// counters of go-redis's PoolStats that the livevote_redis_pool metrics show.
type PoolStats struct {
	Hits, Misses, Timeouts, StaleConns uint64 // since the pool was made
	TotalConns, IdleConns              uint64 // now
}

// errorCounter is a store that counts its failed commands (the Redis store).
type errorCounter interface {
	Errors() uint64
}

// pingTimeout bounds the readiness check of a scrape.
const pingTimeout = time.Second

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// hubCollector collects the hub's figures (hub.Stats) at each scrape.
type hubCollector struct {
	hub                                                                     Hub
	conns, messages, evictions, floods, refused, readErrors, tick, read, hz *prometheus.Desc
}

func newHubCollector(h Hub) *hubCollector {
	return &hubCollector{
		hub:        h,
		conns:      desc("livevote_ws_connections", "Open live-update WebSocket connections by audience.", "audience"),
		messages:   desc("livevote_ws_messages_total", "Snapshot messages sent on live-update connections by audience.", "audience"),
		evictions:  desc("livevote_ws_evictions_total", "Live-update connections cut off because a write failed or did not finish in time."),
		floods:     desc("livevote_ws_floods_total", "Live-update connections closed because the client sent too many messages."),
		refused:    desc("livevote_ws_refused_total", "Live-update connections refused because the hub was full."),
		readErrors: desc("livevote_ws_snapshot_read_errors_total", "Snapshot reads of the hub that failed."),
		tick:       desc("livevote_ws_tick_seconds", "How long the hub's last tick took: snapshot reads, encoding and fan-out."),
		read:       desc("livevote_ws_snapshot_read_seconds", "How long the hub's last snapshot read took."),
		hz:         desc("livevote_ws_tick_hz", "The hub's tick rate: the highest rate a connected client asked for."),
	}
}

// Describe implements prometheus.Collector.
func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.messages, c.evictions, c.floods, c.refused, c.readErrors, c.tick, c.read, c.hz} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.hub.Stats()
	for a, n := range s.Conns {
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(n), hub.Audience(a).String())
	}
	for a, n := range s.Messages {
		ch <- prometheus.MustNewConstMetric(c.messages, prometheus.CounterValue, float64(n), hub.Audience(a).String())
	}
	ch <- prometheus.MustNewConstMetric(c.evictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(c.floods, prometheus.CounterValue, float64(s.Floods))
	ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(s.Refused))
	ch <- prometheus.MustNewConstMetric(c.readErrors, prometheus.CounterValue, float64(s.ReadErrors))
	ch <- prometheus.MustNewConstMetric(c.tick, prometheus.GaugeValue, s.LastTick.Seconds())
	ch <- prometheus.MustNewConstMetric(c.read, prometheus.GaugeValue, s.LastRead.Seconds())
	ch <- prometheus.MustNewConstMetric(c.hz, prometheus.GaugeValue, float64(s.TickHz))
}

// storeCollector pings the store, and reads its failed commands and its pool's statistics, at
// each scrape; what the store does not have (nil), it leaves out.
type storeCollector struct {
	store                                            vote.Pinger
	errs                                             errorCounter
	pool                                             func() PoolStats
	up, errors, hits, misses, timeouts, stale, conns *prometheus.Desc
}

func newStoreCollector(store vote.Pinger, pool func() PoolStats) *storeCollector {
	c := &storeCollector{
		store:    store,
		pool:     pool,
		up:       desc("livevote_store_up", "1 when the vote store answered a ping at this scrape, else 0."),
		errors:   desc("livevote_store_errors_total", "Redis commands that failed (a missing key is not a failure)."),
		hits:     desc("livevote_redis_pool_hits_total", "Times a free connection was found in the Redis pool."),
		misses:   desc("livevote_redis_pool_misses_total", "Times no free connection was found in the Redis pool."),
		timeouts: desc("livevote_redis_pool_timeouts_total", "Times waiting for a Redis pool connection timed out."),
		stale:    desc("livevote_redis_pool_stale_connections_total", "Stale connections removed from the Redis pool."),
		conns:    desc("livevote_redis_pool_connections", "Connections in the Redis pool, all (state total) and idle.", "state"),
	}
	c.errs, _ = store.(errorCounter)
	return c
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	if c.store != nil {
		ch <- c.up
	}
	if c.errs != nil {
		ch <- c.errors
	}
	if c.pool != nil {
		for _, d := range []*prometheus.Desc{c.hits, c.misses, c.timeouts, c.stale, c.conns} {
			ch <- d
		}
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	if c.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		v := 1.0
		if c.store.Ping(ctx) != nil {
			v = 0
		}
		cancel()
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, v)
	}
	if c.errs != nil {
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(c.errs.Errors()))
	}
	if c.pool != nil {
		p := c.pool()
		ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(p.Hits))
		ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(p.Misses))
		ch <- prometheus.MustNewConstMetric(c.timeouts, prometheus.CounterValue, float64(p.Timeouts))
		ch <- prometheus.MustNewConstMetric(c.stale, prometheus.CounterValue, float64(p.StaleConns))
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(p.TotalConns), "total")
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(p.IdleConns), "idle")
	}
}
