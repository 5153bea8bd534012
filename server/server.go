// Package server is livevote's HTTP and WebSocket API on Fiber: the ballot, votes, results,
// receipts and the organiser's controls, exactly as docs/API.md describes them. It starts
// nothing: New builds a Server over the parts it is given, and whoever wires the program
// (package internal/app) serves it (Serve, Shutdown) and runs the loops of its parts.
package server

import (
	"cmp"
	"context"
	"errors"
	"github.com/livevote/livevote/server/access"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server/pages"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/translog/logweb"
	"github.com/livevote/livevote/vote"
)

// Store is what the server's handlers need of the vote store: every part but closing it (the
// program closes the store). Each part's contract is on its interface in package vote.
type Store interface {
	vote.Ballots
	vote.States
	vote.Snapshots
	vote.Records
	vote.Sources
	vote.FraudCounters
	vote.Pinger
}

// Config is everything the server depends on.
type Config struct {
	Polls      []*vote.Poll
	Store      Store
	Secret     []byte // signs voter cookies and challenges; shared by every instance
	AdminToken string
	// OperatorToken (the big screen's operator: results visibility only) and AuditorToken (every
	// organiser read, no change) are optional further roles (access/roles.go); empty: no such role.
	OperatorToken string
	AuditorToken  string
	// Log is the ballot log's sequencer over Store (package translog), which its owner runs
	// (Sequencer.Run): the log's endpoints (package translog/logweb) answer from it.
	Log *translog.Sequencer
	// Fraud is the fraud checks of Polls over Store (package fraud), whose loops its owner runs:
	// the booth asks them for each vote's verdict, the organiser's fraud endpoints answer from
	// them.
	Fraud *fraud.Checks
	// TrustedProxies lists IPs and CIDR prefixes whose X-Forwarded-For is believed.
	TrustedProxies []string
	// PublicURL is where voters reach the ballot; empty: derived from the request.
	PublicURL string
	// RateLimit is the most API requests per minute of one voter (by the voter cookie), or of one
	// source (an IPv4 address, an IPv6 /64) for requests without a voter cookie; a source may open
	// 5 times that in pages; a trusted subnet's sources have no limit of their own (0: no limit;
	// see access/ratelimit.go).
	RateLimit int
	// WrongTokens is how many wrong tokens one source may send a minute before its requests with
	// a token are refused (access/tokenguard.go); 0: 10; negative: no limit (tests that try many tokens
	// from one address).
	WrongTokens int
	// Hub serves live updates (GET /ws/polls/{poll}) with its handler (package hub/hubws), run
	// by its owner; Ctx ends its connections.
	Hub *hub.Hub
	Ctx context.Context
	// WSOrigins, when not empty, lists the Origin values allowed to open live updates.
	WSOrigins []string
	// Live shares the hub's connections between the reserved pool and the public, and between
	// sources: whoever builds the hub (package internal/app) gives it these.
	Live hub.Limits
	// Observer receives what the server measures (package monitoring); nil: nothing.
	Observer Observer
	// SampleEvery is how often the fraud checks sample each poll (velocity, metrics, sharing the
	// fraud counters with other instances; fraud.Config.Every, set from it by internal/app, which
	// builds them); 0: every 5 s. The server itself does not read it.
	SampleEvery time.Duration
	// ReadTimeout bounds reading one request, headers and body (0: 30 s); a client that sends
	// part of a request and stops is answered 408 request_timeout.
	ReadTimeout time.Duration
	// Now is the clock (time.Now when nil); tests inject their own.
	Now    func() time.Time
	Logger *slog.Logger
}

// maxVoteBody is the largest vote request body; a real vote is far smaller.
const maxVoteBody = 4 << 10

// server holds what the handlers share.
type server struct {
	polls   map[string]*vote.Poll
	order   []*vote.Poll
	store   Store
	states  *stateCache
	views   pollViews   // the encoded answers of GET /api/v1/polls/{poll} (pollviews.go)
	booth   *vote.Booth // the vote workflow (votes.go)
	keys    access.Keys
	tokens  access.Tokens // the bearer tokens of the roles (access/tokens.go)
	tlog    *logweb.Log   // the transparency log's endpoints and its part of the export
	proxies access.Proxies
	public  string // Config.PublicURL
	limit   int
	wrong   int // wrong tokens a source may send a minute; 0: no limit (access/tokenguard.go)
	hub     *hub.Hub
	ctx     context.Context
	origins []string
	now     func() time.Time
	log     *slog.Logger
	obs     Observer
	fraud   *fraud.Checks
	pages   *pages.Pages // the web pages, mounted by routes.go
}

// Server is livevote's API for the configured polls, ready to serve. Its owner serves it with
// Serve and stops it with Shutdown.
type Server struct {
	s   *server
	app *fiber.App
}

// New returns the Server of livevote's API for the configured polls. It starts no goroutine.
func New(cfg Config) (*Server, error) {
	if len(cfg.Polls) == 0 || cfg.Store == nil || len(cfg.Secret) == 0 || cfg.AdminToken == "" || cfg.Hub == nil || cfg.Log == nil || cfg.Fraud == nil {
		return nil, errors.New("server: polls, store, secret, admin token, hub, log and fraud checks are required")
	}
	px, err := access.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s := &server{
		polls:   make(map[string]*vote.Poll, len(cfg.Polls)),
		order:   cfg.Polls,
		store:   cfg.Store,
		keys:    access.NewKeys(cfg.Secret),
		tokens:  access.NewTokens(cfg.AdminToken, cfg.OperatorToken, cfg.AuditorToken),
		proxies: px,
		public:  cfg.PublicURL,
		limit:   cfg.RateLimit,
		wrong:   max(cmp.Or(cfg.WrongTokens, access.WrongTokenLimit), 0),
		hub:     cfg.Hub,
		ctx:     cfg.Ctx,
		origins: cfg.WSOrigins,
		now:     cfg.Now,
		log:     cfg.Logger,
		obs:     cfg.Observer,
		fraud:   cfg.Fraud,
	}
	for _, p := range cfg.Polls {
		s.polls[p.ID] = p
	}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ctx == nil {
		s.ctx = context.Background()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.states = newStateCache(cfg.Store, s.now)
	s.views = newPollViews(s.order)
	s.booth = &vote.Booth{Ballots: cfg.Store, State: s.states.get, Judge: cfg.Fraud, Now: s.now}
	s.tlog, err = logweb.New(logweb.Config{Log: cfg.Log, PollOf: pollOf, MayRead: mayReadLog, Receipt: s.receiptPoll})
	if err != nil {
		return nil, err
	}
	s.pages, err = pages.New(pages.Config{
		Polls: s.order, PollOf: pollOf, API: pageAPI{s}, Keys: s.keys, Proxies: s.proxies,
		PublicURL: s.public, Now: s.now, Logger: s.log,
	})
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{
		AppName:               "livevote",
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(s.log),
		BodyLimit:             64 << 10,
		// Return a connection's read and write buffers to their pools between requests: a live
		// connection (WebSocket) then keeps no 4 KiB read buffer for its whole life (issue 6:
		// a third of an idle dashboard's memory).
		ReduceMemoryUsage: true,
		// Fiber believes X-Forwarded-Proto (c.Protocol, for Secure cookies) from these only;
		// client IPs come from access.Proxies.ClientIP.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ReadTimeout:             cmp.Or(cfg.ReadTimeout, 30*time.Second),
		WriteTimeout:            30 * time.Second,
		IdleTimeout:             120 * time.Second,
	})
	// A live connection leaves fasthttp once upgraded (hub/hubws.Handler): its request's context
	// and goroutine go back to fasthttp instead of living as long as the connection.
	app.Server().KeepHijackedConns = true
	guardMethods(app, s.obs)
	app.Use(s.observeHTTP())
	s.routes(app)
	return &Server{s: s, app: app}, nil
}

// mayReadLog lets organiser and auditor tokens read a poll's leaves before its log is open.
func mayReadLog(c *fiber.Ctx) error { return access.Authorise(access.RoleOf(c), access.RightRead) }

// receiptPoll is findReceipt with the receipt's poll.
func (s *server) receiptPoll(ctx context.Context, id string) (vote.Receipt, *vote.Poll, error) {
	r, err := s.findReceipt(ctx, id)
	return r, s.polls[r.Poll], err
}

// Serve serves the API on ln until Shutdown.
func (srv *Server) Serve(ln net.Listener) error { return srv.app.Listener(ln) }

// Shutdown stops accepting connections and waits up to timeout for the requests in flight.
func (srv *Server) Shutdown(timeout time.Duration) error {
	return srv.app.ShutdownWithTimeout(timeout)
}

// Corrected records, when p's results were revealed already, a correction by the system (an
// automatic release after the reveal is never silent). The fraud checks' settling calls it
// after a pass that released ballots.
func (srv *Server) Corrected(ctx context.Context, p *vote.Poll) error {
	return srv.s.markCorrected(ctx, p, vote.ReleasedBy)
}
