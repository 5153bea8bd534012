// Package servertest starts the real livevote server on a free loopback port for the tests and
// benchmarks of any package, as net/http/httptest does for a handler: the caller gives the
// server's Config, the package adds the live-updates hub and stops both when the test ends.
package servertest

import (
	"context"
	"sync"
	"testing"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server"
)

// Server is one running server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string
	// Hub serves its live updates.
	Hub  *hub.Hub
	stop func()
	once sync.Once
}

// Start serves cfg until the test ends or Close is called. It sets cfg.Ctx and cfg.Hub (a hub over
// cfg.Polls and cfg.Store with cfg.Live.MaxConns); everything else is the caller's. It fails the
// test when the server does not start.
func Start(tb testing.TB, cfg server.Config) *Server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Ctx = ctx
	cfg.Hub = hub.New(server.Snapshots(cfg.Polls, cfg.Store), hub.Options{MaxConns: cfg.Live.MaxConns})
	hubDone := make(chan error, 1)
	go func() { hubDone <- cfg.Hub.Run(ctx) }()
	stopHub := func() { cancel(); <-hubDone }
	app, err := server.New(cfg)
	if err != nil {
		stopHub()
		tb.Fatal(err)
	}
	ln, err := server.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		stopHub()
		tb.Fatal(err)
	}
	go app.Listener(ln)
	s := &Server{URL: "http://" + ln.Addr().String(), Hub: cfg.Hub}
	s.stop = func() {
		stopHub() // live connections close with 1001 and their handlers return
		app.Shutdown()
	}
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down as the program does: live connections first, then the listener.
// It may be called more than once.
func (s *Server) Close() { s.once.Do(s.stop) }
