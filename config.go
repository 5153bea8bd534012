package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/livevote/livevote/translog"
)

// config is the program's configuration: every LIVEVOTE_ variable of the README's configuration table, each with its flag;
// a flag wins over its variable.
type config struct {
	Addr           string
	MetricsAddr    string
	RedisURL       string
	Ballot         string
	AdminToken     string
	OperatorToken  string
	AuditorToken   string
	LogKey         string
	LogName        string
	Secret         string
	TrustedProxies []string
	PublicURL      string
	RateLimit      int
	WSMaxConns     int
	WSOrganiser    int
	WSPerSource    int
	WSOrigins      []string
}

// parseConfig reads the environment, then the flags in args (without the program name).
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var cfg config
	fs := flag.NewFlagSet("livevote", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", env("LIVEVOTE_ADDR", ":8080"), "public listen address (LIVEVOTE_ADDR)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", env("LIVEVOTE_METRICS_ADDR", "127.0.0.1:9091"), "metrics listen address, /metrics only (loopback unless told: give it a private address Prometheus reaches); empty: off (LIVEVOTE_METRICS_ADDR)")
	fs.StringVar(&cfg.RedisURL, "redis-url", env("LIVEVOTE_REDIS_URL", ""), "redis:// URL, or host:port,host:port,... of a Redis Cluster; empty: embedded in-memory store (LIVEVOTE_REDIS_URL)")
	fs.StringVar(&cfg.Ballot, "ballot", env("LIVEVOTE_BALLOT", ""), "ballot file (YAML or JSON); empty: the built-in Guangzhou 2023 ballot (LIVEVOTE_BALLOT)")
	fs.StringVar(&cfg.AdminToken, "admin-token", env("LIVEVOTE_ADMIN_TOKEN", ""), "organiser bearer token; empty: generated and printed (LIVEVOTE_ADMIN_TOKEN)")
	fs.StringVar(&cfg.OperatorToken, "operator-token", env("LIVEVOTE_OPERATOR_TOKEN", ""), "big-screen operator bearer token: results visibility only; empty: no operator (LIVEVOTE_OPERATOR_TOKEN)")
	fs.StringVar(&cfg.AuditorToken, "auditor-token", env("LIVEVOTE_AUDITOR_TOKEN", ""), "auditor bearer token: every organiser read, no change; empty: no auditor (LIVEVOTE_AUDITOR_TOKEN)")
	fs.StringVar(&cfg.LogKey, "log-key", env("LIVEVOTE_LOG_KEY", ""), "secret the ballot log's signing key is derived from, shared by all instances; empty: LIVEVOTE_SECRET (LIVEVOTE_LOG_KEY)")
	fs.StringVar(&cfg.LogName, "log-name", env("LIVEVOTE_LOG_NAME", "livevote"), "name of the log key and start of each poll's log origin (<name>/<poll>), e.g. vote.example.org (LIVEVOTE_LOG_NAME)")
	fs.StringVar(&cfg.Secret, "secret", env("LIVEVOTE_SECRET", ""), "key for voter cookies and challenges, shared by all instances; empty: generated (LIVEVOTE_SECRET)")
	proxies := fs.String("trusted-proxies", env("LIVEVOTE_TRUSTED_PROXIES", ""), "comma-separated IPs/CIDRs whose X-Forwarded-For is believed (LIVEVOTE_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("LIVEVOTE_PUBLIC_URL", ""), "URL voters use, for the QR code; empty: from the request (LIVEVOTE_PUBLIC_URL)")
	rate, err := strconv.Atoi(env("LIVEVOTE_RATE_LIMIT", "600"))
	if err != nil {
		return cfg, fmt.Errorf("LIVEVOTE_RATE_LIMIT: %w", err)
	}
	fs.IntVar(&cfg.RateLimit, "rate-limit", rate, "API requests per client (voter, or IPv4 address / IPv6 /64) and minute per instance; a source may open 5 times that in pages; 0: off (LIVEVOTE_RATE_LIMIT)")
	conns, err := strconv.Atoi(env("LIVEVOTE_WS_MAX_CONNS", "20000"))
	if err != nil {
		return cfg, fmt.Errorf("LIVEVOTE_WS_MAX_CONNS: %w", err)
	}
	fs.IntVar(&cfg.WSMaxConns, "ws-max-conns", conns, "most live-update WebSocket connections per instance (LIVEVOTE_WS_MAX_CONNS)")
	organiser, err := strconv.Atoi(env("LIVEVOTE_WS_ORGANISER_CONNS", "0"))
	if err != nil {
		return cfg, fmt.Errorf("LIVEVOTE_WS_ORGANISER_CONNS: %w", err)
	}
	fs.IntVar(&cfg.WSOrganiser, "ws-organiser-conns", organiser, "live-update connections kept for organisers, of ws-max-conns; 0: 1% (1 to 100) (LIVEVOTE_WS_ORGANISER_CONNS)")
	perSource, err := strconv.Atoi(env("LIVEVOTE_WS_MAX_PER_SOURCE", "0"))
	if err != nil {
		return cfg, fmt.Errorf("LIVEVOTE_WS_MAX_PER_SOURCE: %w", err)
	}
	fs.IntVar(&cfg.WSPerSource, "ws-max-per-source", perSource, "most public live-update connections of one IPv4 address or IPv6 /64 (trusted subnets: no limit); 0: a twentieth of ws-max-conns (LIVEVOTE_WS_MAX_PER_SOURCE)")
	origins := fs.String("ws-origins", env("LIVEVOTE_WS_ORIGINS", ""), "comma-separated Origin values allowed to open live updates; empty: any (LIVEVOTE_WS_ORIGINS)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := translog.CheckName(cfg.LogName); err != nil {
		return cfg, fmt.Errorf("LIVEVOTE_LOG_NAME (-log-name) %q: %w", cfg.LogName, err)
	}
	cfg.TrustedProxies = splitList(*proxies)
	cfg.WSOrigins = splitList(*origins)
	return cfg, nil
}

// splitList reads a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
