package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/internal/app"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
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

	a, err := app.New(ctx, app.Config{
		Server: server.Config{
			Polls:          polls,
			Secret:         []byte(cfg.Secret),
			AdminToken:     cfg.AdminToken,
			OperatorToken:  cfg.OperatorToken,
			AuditorToken:   cfg.AuditorToken,
			TrustedProxies: cfg.TrustedProxies,
			PublicURL:      cfg.PublicURL,
			RateLimit:      cfg.RateLimit,
			WSOrigins:      cfg.WSOrigins,
			Live:           hub.Limits{MaxConns: cfg.WSMaxConns, Reserved: cfg.WSOrganiser, PerSource: cfg.WSPerSource},
			Logger:         log,
		},
		RedisURL:        cfg.RedisURL,
		Addr:            cfg.Addr,
		MetricsAddr:     cfg.MetricsAddr,
		LogKey:          logKey,
		ShutdownTimeout: shutdownTimeout,
	})
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		_ = a.Close()
		return err
	}
	fmt.Fprintf(stdout, "livevote: serving %d poll(s) on http://%s\n", len(polls), a.Addr())
	if m := a.MetricsAddr(); m != nil {
		fmt.Fprintf(stdout, "livevote: metrics on http://%s/metrics\n", m)
	}

	select {
	case <-a.Done():
		err = a.Err()
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Live connections get 1001 going away, in-flight requests finish, the loops stop, the store
	// closes (app.App.Close).
	if cerr := a.Close(); cerr != nil && err == nil {
		err = cerr
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
