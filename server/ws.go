package server

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/vote"
)

// Sizes of a WebSocket connection's buffers. Clients send nothing but control frames (the read
// buffer holds the largest, 125 bytes of payload, which the library peeks at whole; a longer
// message from a client is read through it); messages to them are snapshots of a few hundred
// bytes, written from a pool (WriteBufferPool), so an idle connection holds no write buffer.
const (
	wsReadBuffer  = 128
	wsWriteBuffer = 2048
)

// Snapshots adapts a store to the hub's Source: snapshots of the configured polls by id.
func Snapshots(polls []*vote.Poll, store interface {
	Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error)
}) hub.Source {
	byID := make(map[string]*vote.Poll, len(polls))
	for _, p := range polls {
		byID[p.ID] = p
	}
	return sourceFunc(func(ctx context.Context, poll string, now time.Time) (vote.Snapshot, error) {
		p, ok := byID[poll]
		if !ok {
			return vote.Snapshot{}, vote.ErrPollNotFound
		}
		return store.Snapshot(ctx, p, now)
	})
}

type sourceFunc func(ctx context.Context, poll string, now time.Time) (vote.Snapshot, error)

func (f sourceFunc) Snapshot(ctx context.Context, poll string, now time.Time) (vote.Snapshot, error) {
	return f(ctx, poll, now)
}

// wsRequest is what the upgrade handler learned, handed to the connection's handler.
type wsRequest struct {
	poll     string
	audience hub.Audience
	hz       int
	reserved bool         // a role's connection: the reserved pool (liveslots.go)
	source   netip.Prefix // what a public connection counts against (access.RateSource: an address, an IPv6 /64)
	exempt   bool         // the source is in a subnet the organiser trusts: no allowance
}

const wsLocal = "livevote.ws"

// checkWSOrigin checks a live-updates request first: it is an upgrade, and its Origin is allowed
// (when LIVEVOTE_WS_ORIGINS lists some); then withPoll finds the poll.
func (s *server) checkWSOrigin() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return errUpgradeRequired
		}
		if len(s.origins) > 0 && !slices.Contains(s.origins, c.Get(fiber.HeaderOrigin)) {
			s.obs.LiveRefused(refusedOrigin)
			return errOriginNotAllowed
		}
		return c.Next()
	}
}

// handleWSUpgrade checks a live-updates request before the upgrade, after checkWSOrigin and
// withPoll: hz is 1 to hub.MaxHz, the token when given
// (a subprotocol or an Authorization header, never the URL: wsauth.go) is a role's, and there is
// a slot for it (liveslots.go). Organisers and auditors watch the organiser's snapshots (the
// public's with view=public: the big screen signed in with such a token); the operator and a
// screen token of the poll watch the public's; all of them in the reserved pool. The token is
// never logged.
func (s *server) handleWSUpgrade() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		hz, err := queryInt(c, "hz", hub.DefaultHz, 1, hub.MaxHz)
		if err != nil {
			return err
		}
		token, sent, err := liveToken(c)
		if err != nil {
			return err
		}
		view, err := queryValue(c, "view", "")
		if err != nil || (view != "" && view != "public") {
			return errInvalidRequest
		}
		req := wsRequest{poll: p.ID, audience: hub.Public, hz: hz}
		if sent {
			switch r := s.roleOf(token, p.ID); {
			case r.can(rightRead):
				req.reserved = true
				if view == "" {
					req.audience = hub.Organiser
				}
			case r.can(rightResults):
				req.reserved = true // the big screen: the public's view, in the reserve
			default:
				return authorise(r, rightRead)
			}
		}
		a := s.proxies.ClientIP(c)
		req.source, req.exempt = access.RateSource(a), s.fraud[p.ID].isTrusted(a)
		if reason := s.slots.allow(req.reserved, req.source, req.exempt); reason != "" {
			s.obs.LiveRefused(reason)
			return errTooManyLive
		}
		c.Locals(wsLocal, req)
		return c.Next()
	}
}

// handleWS hands one live-updates connection to the hub, in a slot of its own, and returns: the
// hub serves it in a goroutine of its own, which gives the slot back when the connection ends.
// When upgrades that passed handleWSUpgrade's check at once leave no slot, it closes with 1013
// (try again later), as the hub does when it is full.
func (s *server) handleWS() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		req := conn.Locals(wsLocal).(wsRequest)
		release, reason := s.slots.acquire(req.reserved, req.source, req.exempt)
		if reason != "" {
			s.obs.LiveRefused(reason)
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too many live connections"), time.Now().Add(time.Second))
			_ = conn.Close() // the server keeps hijacked connections open: closing is ours
			return
		}
		// The connection outlives this handler (the server keeps hijacked connections: see
		// server.go): the hub's reader runs in a goroutine of its own, so that an idle connection
		// holds neither the upgrade's request, its copies in conn, nor this goroutine's deep stack.
		ws := conn.Conn
		go func() {
			defer release()
			err := s.hub.Serve(s.ctx, ws, req.poll, req.audience, req.hz)
			if err != nil && !errors.Is(err, hub.ErrEvicted) {
				s.log.Debug("live connection ended", "poll", req.poll, "audience", req.audience.String(), "err", err)
			}
		}()
	}, websocket.Config{
		Origins:         s.origins,
		Subprotocols:    []string{wsProtocol}, // never the token's (wsauth.go)
		ReadBufferSize:  wsReadBuffer,
		WriteBufferSize: wsWriteBuffer,
		WriteBufferPool: &sync.Pool{},
	})
}
