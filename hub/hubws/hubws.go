// Package hubws serves the hub's live updates on a Fiber route (docs/API.md, "Live updates"), as
// tailscale's derphttp serves its derp server: the WebSocket upgrade (github.com/fasthttp/websocket,
// on the socket Fiber's fasthttp server hands over), admission into the hub's pools (Hub.Check
// before the upgrade, Hub.Enter after it), and the connection's life (Hub.Serve). Who a request is
// (its poll, its role, its address) is the server's to decide: the handler asks Options.Ticket and
// takes the answer as it is.
//
// The hub itself stays free of the web framework (its tests run it on fakes, in synctest
// bubbles); this package is the only place that knows both.
package hubws

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
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
func IsUpgrade(c *fiber.Ctx) bool { return websocket.FastHTTPIsWebSocketUpgrade(c.Context()) }

// Handler returns the handler of a live-updates route: it asks opts.Ticket who the request is,
// checks that admission has a slot for it, upgrades the connection and serves it with h until it
// ends, in a slot of its own. Mount it after the checks that come before the upgrade (that the
// request is an upgrade, its Origin, its poll). A handshake the upgrade cannot take (its version,
// its key) is refused with fiber.ErrUpgradeRequired (426) before anything is hijacked.
//
// The connection's reader is a goroutine of its own, started once the upgrade is written, and
// nothing but the hub writes to the connection once it is served: at most one writer at any
// moment, data messages written as frames of their own, straight to the socket (frameConn).
//
// When the app's fasthttp server keeps hijacked connections (app.Server().KeepHijackedConns, set
// before it serves), the request's handling ends at the upgrade: fasthttp takes back the request's
// context (its headers, its buffers) and its goroutine, and an idle connection holds only its
// socket, the WebSocket's state, its reader's stack and the hub's client. Otherwise the hijack
// handler serves the connection itself, for its whole life, as fasthttp then closes the connection
// when it returns. Either way the WebSocket is made on the socket itself (the hijacked
// connection's UnsafeConn), never through fasthttp's read buffer, which fasthttp puts back in its
// pool once the hijack handler returns (RFC 6455 has a client wait for the upgrade's answer before
// it sends anything, and the library refuses a handshake after which data was already read); its
// writes are then the socket's own (frameConn).
func Handler(h *hub.Hub, opts Options) fiber.Handler {
	ctx, log := opts.Ctx, opts.Logger
	if ctx == nil {
		ctx = context.Background()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	frames := &sync.Pool{New: func() any { b := make([]byte, 0, writeBuffer); return &b }}
	up := websocket.Upgrader{
		ReadBufferSize:  readBuffer,
		WriteBufferSize: writeBuffer,
		WriteBufferPool: &sync.Pool{},
		Subprotocols:    []string{Subprotocol},
		// The route's own checks (Options' doc) judged the Origin before the handler.
		CheckOrigin: func(*http.Request) bool { return true },
		// A handshake the library refuses (a bad key or version) is answered on the socket.
		Error: func(w http.ResponseWriter, _ *http.Request, status int, _ error) {
			w.(*hijacked).refuse(status)
		},
	}
	serve := func(conn *websocket.Conn, t hub.Ticket) {
		release, reason := h.Enter(t)
		if reason != "" {
			_ = opts.Refused(reason)
			_ = conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too many live connections"),
				time.Now().Add(time.Second))
			_ = conn.Close()
			return
		}
		defer release()
		err := h.Serve(ctx, newFrameConn(conn, frames), t.Poll, t.Audience, t.Hz)
		_ = conn.Close()
		if err != nil && !errors.Is(err, hub.ErrEvicted) {
			log.Debug("live connection ended", "poll", t.Poll.ID, "audience", t.Audience.String(), "err", err)
		}
	}
	return func(c *fiber.Ctx) error {
		t, err := opts.Ticket(c)
		if err != nil {
			return err
		}
		if reason := h.Check(t); reason != "" {
			return opts.Refused(reason)
		}
		if !validHandshake(c) {
			return fiber.ErrUpgradeRequired
		}
		req := handshake(c)
		keep := c.App().Server().KeepHijackedConns
		c.Context().HijackSetNoResponse(true)
		c.Context().Hijack(func(hc net.Conn) {
			sock := hc
			if u, ok := hc.(interface{ UnsafeConn() net.Conn }); ok {
				sock = u.UnsafeConn()
			}
			detach := keep && sock != hc // never with reads through fasthttp's buffer
			conn, err := up.Upgrade(&hijacked{conn: sock}, req, nil)
			if err != nil {
				_ = sock.Close()
				return
			}
			if detach {
				go serve(conn, t)
				return
			}
			serve(conn, t)
		})
		c.Status(fiber.StatusSwitchingProtocols) // for the logs and metrics: the library answers
		return nil
	}
}
