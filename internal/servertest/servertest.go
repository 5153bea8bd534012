// Package servertest starts the real livevote server on a free loopback port for the tests and
// benchmarks of any package, as net/http/httptest does for a handler: it builds and starts the
// program's parts with package internal/app, as the program does, over the caller's server
// Config and store, and stops them when the test ends.
package servertest

import (
	"context"
	"sync"
	"testing"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/internal/app"
	"github.com/livevote/livevote/server"
)

// Server is one running server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string
	// Hub serves its live updates.
	Hub  *hub.Hub
	app  *app.App
	once sync.Once
}

// Start serves cfg until the test ends or Close is called. The App builds the hub (over
// cfg.Polls and cfg.Store, with cfg.Live.MaxConns), the ballot log's sequencer and the loops, and
// sets cfg's Hub, Ctx and Log; everything else is the caller's, the store included (cfg.Store is
// required: the caller closes it). It fails the test when the server does not start.
func Start(tb testing.TB, cfg server.Config) *Server {
	tb.Helper()
	if cfg.Store == nil {
		tb.Fatal("servertest: cfg.Store is required")
	}
	a, err := app.New(context.Background(), app.Config{Server: cfg, Addr: "127.0.0.1:0"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		a.Close()
		tb.Fatal(err)
	}
	s := &Server{URL: "http://" + a.Addr().String(), Hub: a.Hub(), app: a}
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down as the program does (app.App.Close): live connections first, then
// the listener, then the loops. It may be called more than once.
func (s *Server) Close() { s.once.Do(func() { s.app.Close() }) }
