// Package hubws serves the hub's live updates on a Fiber route (docs/API.md, "Live updates"), as
// tailscale's derphttp serves its derp server: the WebSocket upgrade (gofiber/contrib/websocket),
// admission into the hub's pools (Hub.Check before the upgrade, Hub.Enter after it), and the
// connection's life (Hub.Serve). Who a request is (its poll, its role, its address) is the
// server's to decide: the handler asks Options.Ticket and takes the answer as it is.
//
// The hub itself stays free of the web framework (its tests run it on fakes, in synctest
// bubbles); this package is the only place that knows both.
package hubws

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/hub"
)

// Subprotocol is the WebSocket subprotocol of live updates. The upgrade answers with it when the
// client offers it (a browser fails a handshake whose answer names none of the subprotocols it
// offered), and never with another one the client offered (a token a page sends as one).
const Subprotocol = "livevote"

// Sizes of a connection's buffers. Clients send nothing but control frames (the read buffer holds
// the largest, 125 bytes of payload, which the library peeks at whole; a longer message from a
// client is read through it); messages to them are snapshots of a few hundred bytes, built in
// buffers of a pool (the handler's for data messages, see frameConn; WriteBufferPool for the
// library's control frames), so that an idle connection holds no write buffer.
const (
	readBuffer  = 128
	writeBuffer = 2048
)

// ticketLocal is where the handler keeps a request's ticket for its connection (contrib/websocket
// hands the request's locals to the upgraded connection).
const ticketLocal = "livevote.hubws.ticket"

// Options are what the handler needs besides the hub.
type Options struct {
	// Ticket decides, before the upgrade, who the request is (hub.Ticket). Its error refuses the
	// request: the handler returns it, for the server's error handler to answer. Required.
	Ticket func(c *fiber.Ctx) (hub.Ticket, error)
	// Refused is told why admission refused a request (hub.RefusedFull, RefusedReserved or
	// RefusedSource). Before the upgrade, the handler returns the error it returns; after it (two
	// upgrades passed Check at once and one finds no slot), the connection is closed with 1013,
	// try again later, and the error is dropped. Required.
	Refused func(reason string) error
	// Ctx, when done, ends every connection the handler serves (close 1001, going away); nil:
	// only the hub's shutdown does.
	Ctx context.Context
	// Logger gets a debug line for a connection that ended with an error other than an eviction;
	// nil: none.
	Logger *slog.Logger
}

// IsUpgrade reports whether the request asks for a WebSocket upgrade, for the checks that answer
// before the handler (a plain GET of a live-updates route is 426).
func IsUpgrade(c *fiber.Ctx) bool { return websocket.IsWebSocketUpgrade(c) }

// Handler returns the handler of a live-updates route: it asks opts.Ticket who the request is,
// checks that admission has a slot for it, upgrades the connection and serves it with h until it
// ends, in a slot of its own. The connection's handler blocks for the connection's life, as
// contrib/websocket requires (it reuses the connection once its handler returns), and nothing
// but the hub writes to the connection once it is served: at most one writer at any moment. The
// hub writes data messages as frames of their own, straight to the socket (frameConn).
// Returning early with fasthttp's KeepHijackedConns would save an idle connection about 5 KB
// (the upgrade's request, contrib/websocket's copies of it, a deeper stack), but fasthttp (v1.52)
// puts the hijacked connection's read buffer back in its pool when the handler returns while the
// WebSocket still reads through it: another connection's request then shares it (the race
// detector showed it; BENCHMARKS.md, "Performance 3"). Mount it after the checks that come before
// the upgrade (that the request is an upgrade, its Origin, its poll).
func Handler(h *hub.Hub, opts Options) fiber.Handler {
	ctx, log := opts.Ctx, opts.Logger
	if ctx == nil {
		ctx = context.Background()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	frames := &sync.Pool{New: func() any { b := make([]byte, 0, writeBuffer); return &b }}
	upgrade := websocket.New(func(conn *websocket.Conn) {
		t := conn.Locals(ticketLocal).(hub.Ticket)
		release, reason := h.Enter(t)
		if reason != "" {
			_ = opts.Refused(reason)
			_ = conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too many live connections"),
				time.Now().Add(time.Second))
			return
		}
		defer release()
		err := h.Serve(ctx, newFrameConn(conn, frames), t.Poll, t.Audience, t.Hz)
		if err != nil && !errors.Is(err, hub.ErrEvicted) {
			log.Debug("live connection ended", "poll", t.Poll.ID, "audience", t.Audience.String(), "err", err)
		}
	}, websocket.Config{
		Subprotocols:    []string{Subprotocol},
		ReadBufferSize:  readBuffer,
		WriteBufferSize: writeBuffer,
		WriteBufferPool: &sync.Pool{},
	})
	return func(c *fiber.Ctx) error {
		t, err := opts.Ticket(c)
		if err != nil {
			return err
		}
		if reason := h.Check(t); reason != "" {
			return opts.Refused(reason)
		}
		c.Locals(ticketLocal, t)
		return upgrade(c)
	}
}
