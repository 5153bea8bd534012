// Package app wires livevote and runs it: from a Config it builds the store, the live-updates hub,
// the ballot log's sequencer, the fraud checks, the metrics and the HTTP server; Start opens the listeners and starts
// every part (the hub, the sampler, the settling of pending ballots, the log's sequencer, the API
// and the metrics) under one group; Close stops them in order. It is benbjohnson/wtf's Main: the
// program (run.go), the tests' real server (internal/servertest) and the benchmarks built on it
// start livevote through App, the same way.
//
// It is internal because it is no API of livevote's: it is the one package that knows every other
// (the HTTP layer starts nothing and imports no store implementation), and only this module's
// program and tests start it. It reads no flag and no environment variable: run.go does, and
// fills Config.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// defaultShutdownTimeout bounds how long in-flight requests may take to finish at Close.
const defaultShutdownTimeout = 10 * time.Second

// Config is what an App is built from.
type Config struct {
	// Server configures the HTTP layer. New fills in the parts it builds: Store (when nil, see
	// RedisURL), Hub, Ctx, Log, Fraud and, with MetricsAddr, Observer. The fraud checks are built
	// from its Polls, Secret, SampleEvery, Now and Logger, and report to its Observer when that is
	// a fraud.Observer too (package monitoring's Metrics is).
	Server server.Config
	// RedisURL names the Redis store opened when Server.Store is nil; empty: the embedded memory
	// store. The App closes a store it opened; a store given in Server.Store is the caller's.
	RedisURL string
	// Addr is the API's listen address (port 0: a free one, see Addr).
	Addr string
	// MetricsAddr, when set, is where GET /metrics is served, from a registry of the App's own
	// (the Go and process collectors and package monitoring's metrics).
	MetricsAddr string
	// LogKey signs the ballot logs' checkpoints (package translog); nil: derived from
	// Server.Secret under the name "livevote". Every instance must have the same.
	LogKey *translog.Key
	// LogEvery is how often each instance reads the new log entries into its tree (0:
	// translog.DefaultEvery).
	LogEvery time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to finish at Close (0: 10 s).
	ShutdownTimeout time.Duration
}

// App is livevote, built by New and running between Start and Close. Start and Close are for one
// goroutine (the program's or the test's); Done and Err may be called from any.
type App struct {
	cfg        Config
	log        *slog.Logger
	store      server.Store
	closeStore func() error // the store's Close when the App opened it, else nil
	hub        *hub.Hub
	seq        *translog.Sequencer
	fraud      *fraud.Checks
	srv        *server.Server
	reg        *prometheus.Registry // nil without MetricsAddr

	ln, mln net.Listener
	metrics *http.Server
	started bool // Start started the parts

	// stopHub ends the live connections and the hub (first); stopLoops the sampler, the
	// settling and the sequencer (after the API's in-flight requests).
	stopHub, stopLoops context.CancelFunc
	hubCtx, loopCtx    context.Context
	hubDone            chan struct{}
	group              group
	closeOnce          sync.Once
	closeErr           error
}

// New builds livevote from cfg and starts nothing: no goroutine, no listener. It opens the store
// when cfg.Server.Store is nil; Close closes it, also when Start was never called.
func New(ctx context.Context, cfg Config) (*App, error) {
	a := &App{cfg: cfg, log: cfg.Server.Logger, hubDone: make(chan struct{})}
	a.group.init()
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.store = cfg.Server.Store
	if a.store == nil {
		st, err := openStore(ctx, cfg.RedisURL, a.log)
		if err != nil {
			return nil, err
		}
		a.store, a.closeStore = st, st.Close
	}
	a.loopCtx, a.stopLoops = context.WithCancel(context.Background())
	a.hubCtx, a.stopHub = context.WithCancel(a.loopCtx)
	if err := a.build(); err != nil {
		a.stopLoops()
		if a.closeStore != nil {
			_ = a.closeStore()
		}
		return nil, err
	}
	return a, nil
}

// build makes the parts over a.store.
func (a *App) build() error {
	cfg := a.cfg.Server
	var err error
	if a.hub, err = hub.New(a.store, hub.Options{Limits: cfg.Live, Logger: cfg.Logger}); err != nil {
		return err
	}
	key := a.cfg.LogKey
	if key == nil {
		if key, err = translog.DeriveKey(cfg.Secret, "livevote"); err != nil {
			return err
		}
	}
	if a.seq, err = translog.New(a.store, key, cfg.Polls); err != nil {
		return err
	}
	fcfg := fraud.Config{Polls: cfg.Polls, Store: a.store, Results: server.VoteResults(), Hashes: access.NewKeys(cfg.Secret),
		Every: cfg.SampleEvery, Now: cfg.Now, Logger: cfg.Logger}
	if o, ok := cfg.Observer.(fraud.Observer); ok { // the caller's metrics (package monitoring's measure both)
		fcfg.Observer = o
	}
	if a.cfg.MetricsAddr != "" {
		a.reg = prometheus.NewRegistry()
		a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		m := newMetrics(a.reg, cfg.Polls, a.hub, a.store)
		cfg.Observer, fcfg.Observer = m, m
	}
	a.fraud = fraud.New(fcfg)
	cfg.Store, cfg.Hub, cfg.Ctx, cfg.Log, cfg.Fraud = a.store, a.hub, a.hubCtx, a.seq, a.fraud
	a.srv, err = server.New(cfg)
	return err
}

// Start opens the listeners, then starts every part under one group: the hub, the sampler, the
// settling of pending ballots, the log's sequencer, the API and the metrics. It returns once the
// listeners are open (Addr answers); a part that fails later ends Done. ctx bounds the opening.
// Call Close in any case.
func (a *App) Start(ctx context.Context) error {
	var err error
	if a.ln, err = server.Listen(ctx, a.cfg.Addr); err != nil {
		return err
	}
	if a.cfg.MetricsAddr != "" {
		if a.mln, err = net.Listen("tcp", a.cfg.MetricsAddr); err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
		a.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	}
	a.started = true
	a.group.run(func() error {
		defer close(a.hubDone)
		if err := a.hub.Run(a.hubCtx); err != nil && a.hubCtx.Err() == nil {
			return err
		}
		return nil
	})
	a.group.run(func() error { a.fraud.Sample(a.loopCtx); return nil })
	a.group.run(func() error { a.fraud.Settle(a.loopCtx, a.srv.Corrected); return nil })
	a.group.run(func() error {
		a.seq.Run(a.loopCtx, a.cfg.LogEvery, func(p *vote.Poll, err error) {
			if err != nil {
				a.log.Warn("ballot log: cannot read new entries into the tree; checkpoints wait", "poll", p.ID, "err", err)
				return
			}
			a.log.Info("ballot log: reading new entries into the tree again", "poll", p.ID)
		})
		return nil
	})
	a.group.run(func() error {
		if err := a.srv.Serve(a.ln); err != nil && !a.group.closing() {
			return err
		}
		return nil
	})
	if a.metrics != nil {
		a.group.run(func() error {
			if err := a.metrics.Serve(a.mln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	return nil
}

// Addr is the API listener's address (after Start).
func (a *App) Addr() net.Addr { return a.ln.Addr() }

// MetricsAddr is the metrics listener's address (after Start, with Config.MetricsAddr), else nil.
func (a *App) MetricsAddr() net.Addr {
	if a.mln == nil {
		return nil
	}
	return a.mln.Addr()
}

// Hub is the live-updates hub (its statistics, for tests).
func (a *App) Hub() *hub.Hub { return a.hub }

// Done is closed when a part fails (Err says how); the program then calls Close.
func (a *App) Done() <-chan struct{} { return a.group.failed }

// Err is the first failure of a part, or nil.
func (a *App) Err() error { return a.group.err() }

// Close stops livevote in order, and returns the first error of the way: the live connections
// get 1001 going away and the hub stops; the API stops accepting and finishes its in-flight
// requests (Config.ShutdownTimeout); the sampler shares its last counts, and it, the settling and
// the sequencer stop; the metrics listener closes; every part has returned; the store the App
// opened closes. It may be called more than once, and after a failed Start.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		a.group.close()
		a.stopHub()
		var err error
		switch {
		case a.started:
			<-a.hubDone
			timeout := a.cfg.ShutdownTimeout
			if timeout <= 0 {
				timeout = defaultShutdownTimeout
			}
			err = a.srv.Shutdown(timeout)
		case a.ln != nil:
			_ = a.ln.Close()
		}
		a.stopLoops()
		switch {
		case a.started && a.metrics != nil:
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = a.metrics.Shutdown(sctx)
			cancel()
		case a.mln != nil:
			_ = a.mln.Close()
		}
		a.group.wait()
		if a.closeStore != nil {
			_ = a.closeStore()
		}
		a.closeErr = err
	})
	return a.closeErr
}
