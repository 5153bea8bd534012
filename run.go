package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/redisstore"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// shutdownTimeout bounds how long in-flight requests may take to finish at shutdown.
const shutdownTimeout = 10 * time.Second

// run is the whole program: it reads the configuration, opens the store, serves until ctx is done,
// then shuts down gracefully (stops accepting, finishes in-flight requests, closes the store).
// `livevote healthcheck` asks the local instance's /readyz (healthcheck.go).
// `livevote verify ...` checks an export offline (verify.go).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "healthcheck" {
		return healthcheck(ctx, args[2:], getenv, stdout, stderr)
	}
	if len(args) > 1 && args[1] == "verify" {
		return runVerify(args[2:], stdout, stderr)
	}
	cfg, err := parseConfig(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	polls, err := loadPolls(cfg.Ballot)
	if err != nil {
		return err
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = rand.Text()
		fmt.Fprintf(stdout, "livevote: generated organiser token (set LIVEVOTE_ADMIN_TOKEN to choose one): %s\n", cfg.AdminToken)
	}
	if cfg.Secret == "" {
		cfg.Secret = rand.Text() + rand.Text()
		log.Warn("LIVEVOTE_SECRET is not set: generated one; voters' cookies stop working at restart and several instances cannot share voters")
	}

	if cfg.PublicURL == "" {
		log.Warn("LIVEVOTE_PUBLIC_URL is not set: the ballot's QR code takes its host from each request's Host header (only well-formed hosts are accepted); set it to the URL voters use")
	}
	logKey, err := deriveLogKey(cfg, time.Now())
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		fmt.Fprintf(stdout, "livevote: the memory store's ballot logs start afresh: this run's logs are named %s (a new name at every start, so that no run signs a history that contradicts an earlier run's)\n", logKey.Name())
	}
	fmt.Fprintf(stdout, "livevote: ballot log verifier key (GET /api/v1/log-key): %s\n", logKey.VerifierKey())

	store, err := openStore(ctx, cfg.RedisURL, log)
	if err != nil {
		return err
	}
	defer store.Close()

	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	live := hub.New(server.Snapshots(polls, store), hub.Options{MaxConns: cfg.WSMaxConns, Logger: log})
	hubDone := make(chan error, 1)
	go func() { hubDone <- live.Run(hubCtx) }()

	// Metrics: a registry of this program's own, served on the metrics listener only.
	reg := prometheus.NewRegistry()
	var observer server.Observer
	if cfg.MetricsAddr != "" {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		observer = newMetrics(reg, polls, live, store)
	}

	app, err := server.New(server.Config{
		Polls:          polls,
		Store:          store,
		Secret:         []byte(cfg.Secret),
		AdminToken:     cfg.AdminToken,
		OperatorToken:  cfg.OperatorToken,
		AuditorToken:   cfg.AuditorToken,
		LogKey:         logKey,
		TrustedProxies: cfg.TrustedProxies,
		PublicURL:      cfg.PublicURL,
		RateLimit:      cfg.RateLimit,
		Hub:            live,
		Ctx:            hubCtx,
		WSOrigins:      cfg.WSOrigins,
		Live:           server.LiveLimits{MaxConns: cfg.WSMaxConns, Reserved: cfg.WSOrganiser, PerSource: cfg.WSPerSource},
		Observer:       observer,
		Logger:         log,
	})
	if err != nil {
		return err
	}

	ln, err := server.Listen(ctx, cfg.Addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- app.Listener(ln) }()
	fmt.Fprintf(stdout, "livevote: serving %d poll(s) on http://%s\n", len(polls), ln.Addr())

	var metrics *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			_ = app.Shutdown()
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := metrics.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		fmt.Fprintf(stdout, "livevote: metrics on http://%s/metrics\n", mln.Addr())
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopHub() // live connections get 1001 going away; Run returns once every handler has
	<-hubDone
	if serr := app.ShutdownWithTimeout(shutdownTimeout); serr != nil && err == nil {
		err = serr
	}
	if metrics != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = metrics.Shutdown(sctx)
	}
	return err
}

// deriveLogKey derives the key that signs the ballot logs' checkpoints from LIVEVOTE_LOG_KEY, or
// from LIVEVOTE_SECRET when that is not set; every instance of a deployment derives the same. Its
// name (the start of every poll's origin) is LIVEVOTE_LOG_NAME; with the memory store, whose logs
// start empty at every start, it is LIVEVOTE_LOG_NAME/run-<start time>-<random>: a log of a new
// name, never a second, shorter history under the name of one signed before.
func deriveLogKey(cfg config, start time.Time) (*translog.Key, error) {
	secret := cfg.LogKey
	if secret == "" {
		secret = cfg.Secret
	}
	name := cfg.LogName
	if cfg.RedisURL == "" {
		name += "/run-" + start.UTC().Format("20060102T150405Z") + "-" + strings.ToLower(rand.Text()[:6])
	}
	return translog.DeriveKey([]byte(secret), name)
}

// loadPolls reads the ballot file, or the built-in ballot when path is empty.
func loadPolls(path string) ([]*vote.Poll, error) {
	if path == "" {
		return ballotfile.Builtin()
	}
	return ballotfile.Load(path)
}

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
