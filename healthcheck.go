package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds one `livevote healthcheck`: a container engine runs it every few
// seconds and counts a hung check as a failure anyway.
const healthcheckTimeout = 3 * time.Second

// healthcheck asks GET /readyz of the instance on this host and returns nil only for a 200 (main
// then exits 0, else 1). It reads the server's own configuration (environment, then the flags in
// args), so it asks the port the server listens on (LIVEVOTE_ADDR, -addr). It is the HEALTHCHECK
// of the container image, which has no shell and no curl.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	url, err := readyzURL(cfg.Addr)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", url, res.Status, body)
	}
	fmt.Fprintf(stdout, "livevote: %s answered %s\n", url, res.Status)
	return nil
}

// readyzURL is the /readyz URL of the instance listening on addr, reached on loopback when addr
// names no host or a wildcard one (":8080", "0.0.0.0:8080", "[::]:8080").
func readyzURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}
