package app_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/livevote/livevote/internal/app"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
	"go.uber.org/goleak"
)

// config is a minimal configuration of one test poll on the memory store the App opens.
func config(t *testing.T) app.Config {
	return app.Config{
		Server: server.Config{Polls: []*vote.Poll{votetest.Poll(t)}, Secret: []byte("s"), AdminToken: "a"},
		Addr:   "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
	}
}

// TestNewStartsNothing: building the program starts no goroutine and opens no listener; Close
// of an App never started returns.
func TestNewStartsNothing(t *testing.T) {
	before := goleak.IgnoreCurrent()
	a, err := app.New(t.Context(), config(t))
	if err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, before)
	if err := a.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

// TestStartClose: a started App serves the API and the metrics; Close stops every part it started
// (no goroutine of it is left) and may be called again.
func TestStartClose(t *testing.T) {
	before := goleak.IgnoreCurrent()
	a, err := app.New(t.Context(), config(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"http://" + a.Addr().String() + "/readyz", "http://" + a.MetricsAddr().String() + "/metrics"} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s = %d", url, res.StatusCode)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	if err := a.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close again = %v", err)
	}
	select {
	case <-a.Done():
		t.Errorf("Done closed after a clean Close: %v", a.Err())
	default:
	}
	goleak.VerifyNone(t, append(fasthttpTimers(), before)...)
}

// fasthttpTimers are fasthttp's own goroutines that outlive a server: the Date header's clock
// (one for the process) and a stopped worker pool's cleaner (it ends after its next sleep).
func fasthttpTimers() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	}
}

// TestStartFails: a listen address in use fails Start, and Close still returns.
func TestStartFails(t *testing.T) {
	first, err := app.New(t.Context(), config(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	cfg := config(t)
	cfg.Addr = first.Addr().String()
	second, err := app.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(t.Context()); err == nil {
		t.Error("Start on an address in use succeeded")
	}
	if err := second.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

// A Redis still loading its data (restarted with a large AOF) is waited for: New returns once it
// answers, with a warning in the log, instead of failing (and the container restarting, to fail
// again, until Redis has loaded).
func TestNewWaitsForLoadingRedis(t *testing.T) {
	srv := votetest.StartLoadingRedis(t)
	var logs strings.Builder
	cfg := config(t)
	cfg.RedisURL = srv.URL()
	cfg.Server.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	a, err := app.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New while Redis loads: %v", err)
	}
	defer a.Close()
	if !strings.Contains(logs.String(), "Redis is loading its data") {
		t.Errorf("no warning that Redis was loading in the log:\n%s", logs.String())
	}
}
