// Package server is livevote's HTTP and WebSocket API on Fiber: the ballot, votes, results,
// receipts and the organiser's controls, exactly as docs/API.md describes them. It starts
// nothing: New builds a Server over the parts it is given, and whoever wires the program
// (package internal/app) runs its loops (Sample, Settle) and serves it (Serve, Shutdown).
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/livevote/livevote/server/access"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/static"
	"github.com/livevote/livevote/translog"
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
	// organiser read, no change) are optional further roles (roles.go); empty: no such role.
	OperatorToken string
	AuditorToken  string
	// Log is the ballot log's sequencer over Store (package translog), which its owner runs
	// (Sequencer.Run): the log's endpoints answer from it.
	Log *translog.Sequencer
	// TrustedProxies lists IPs and CIDR prefixes whose X-Forwarded-For is believed.
	TrustedProxies []string
	// PublicURL is where voters reach the ballot; empty: derived from the request.
	PublicURL string
	// RateLimit is the most API requests per minute of one voter (by the voter cookie), or of one
	// source (an IPv4 address, an IPv6 /64) for requests without a voter cookie; a source may open
	// 5 times that in pages; a trusted subnet's sources have no limit of their own (0: no limit;
	// see ratelimit.go).
	RateLimit int
	// WrongTokens is how many wrong tokens one source may send a minute before its requests with
	// a token are refused (tokenguard.go); 0: 10; negative: no limit (tests that try many tokens
	// from one address).
	WrongTokens int
	// Hub serves live updates (GET /ws/polls/{poll}), run by its owner; Ctx ends its
	// connections' handlers.
	Hub *hub.Hub
	Ctx context.Context
	// WSOrigins, when not empty, lists the Origin values allowed to open live updates.
	WSOrigins []string
	// Live shares the hub's connections between organisers and the public (liveslots.go).
	Live LiveLimits
	// Observer receives what the server measures (package monitoring); nil: nothing.
	Observer Observer
	// SampleEvery is how often Sample samples each poll (velocity, metrics, sharing the fraud
	// counters with other instances); 0: every 5 s.
	SampleEvery time.Duration
	// ReadTimeout bounds reading one request, headers and body (0: 30 s); a client that sends
	// part of a request and stops is answered 408 request_timeout.
	ReadTimeout time.Duration
	// Now is the clock (time.Now when nil); tests inject their own.
	Now    func() time.Time
	Logger *slog.Logger
}

// LiveLimits share the live-update connections (liveslots.go); zero values take the defaults.
type LiveLimits struct {
	// MaxConns is the hub's Options.MaxConns (0: hub.DefaultMaxConns).
	MaxConns int
	// Reserved of them are kept for organiser connections (0: 1 % of MaxConns, at least 1 and at
	// most 100); it must be less than MaxConns.
	Reserved int
	// PerSource is the most public connections of one source, an IPv4 address or an IPv6 /64
	// (0: a twentieth of MaxConns, so that a few addresses cannot take the public's share);
	// a subnet the organiser trusts has no such limit.
	PerSource int
}

// withDefaults fills the zero values of l.
func (l LiveLimits) withDefaults() (LiveLimits, error) {
	if l.MaxConns <= 0 {
		l.MaxConns = hub.DefaultMaxConns
	}
	if l.Reserved <= 0 {
		l.Reserved = min(max(l.MaxConns/100, 1), 100)
	}
	if l.PerSource <= 0 {
		l.PerSource = max(l.MaxConns/20, 1)
	}
	if l.Reserved >= l.MaxConns {
		return l, fmt.Errorf("server: %d live connections reserved for organisers, of %d: keep some for the public", l.Reserved, l.MaxConns)
	}
	return l, nil
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
	tokens  tokens // the bearer tokens of the roles (roles.go)
	seq     *translog.Sequencer
	proxies access.Proxies
	public  string
	limit   int
	wrong   int // wrong tokens a source may send a minute; 0: no limit (tokenguard.go)
	hub     *hub.Hub
	ctx     context.Context
	origins []string
	slots   *liveSlots // the live-update connections (liveslots.go)
	now     func() time.Time
	log     *slog.Logger
	obs     Observer
	fraud   map[string]*pollFraud // by poll id (fraud.go)
	assets  map[string]*asset     // the web pages and their files (pages.go)
	cats    map[string]*catalogue // the pages' catalogues, by asset name (languages.go)
	fonts   *previewFonts         // the share image's (previewimage.go)
	images  *previewCache         // share images drawn (share.go)
}

// Server is livevote's API for the configured polls, ready to serve. Its owner runs Sample and
// Settle until it stops the program, serves it with Serve and stops it with Shutdown.
type Server struct {
	s     *server
	app   *fiber.App
	every time.Duration // Config.SampleEvery or its default
}

// New returns the Server of livevote's API for the configured polls. It starts no goroutine.
func New(cfg Config) (*Server, error) {
	if len(cfg.Polls) == 0 || cfg.Store == nil || len(cfg.Secret) == 0 || cfg.AdminToken == "" || cfg.Hub == nil || cfg.Log == nil {
		return nil, errors.New("server: polls, store, secret, admin token, hub and log are required")
	}
	px, err := access.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	live, err := cfg.Live.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &server{
		polls:   make(map[string]*vote.Poll, len(cfg.Polls)),
		order:   cfg.Polls,
		store:   cfg.Store,
		keys:    access.NewKeys(cfg.Secret),
		tokens:  newTokens(cfg.AdminToken, cfg.OperatorToken, cfg.AuditorToken),
		proxies: px,
		public:  cfg.PublicURL,
		limit:   cfg.RateLimit,
		wrong:   max(cmp.Or(cfg.WrongTokens, wrongTokenLimit), 0),
		hub:     cfg.Hub,
		ctx:     cfg.Ctx,
		origins: cfg.WSOrigins,
		slots:   newLiveSlots(live.MaxConns, live.Reserved, live.PerSource),
		now:     cfg.Now,
		log:     cfg.Logger,
		obs:     cfg.Observer,
		fraud:   make(map[string]*pollFraud, len(cfg.Polls)),
	}
	for _, p := range cfg.Polls {
		s.polls[p.ID] = p
		s.fraud[p.ID] = newPollFraud(p)
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
	s.booth = &vote.Booth{
		Ballots: cfg.Store,
		State:   s.states.get,
		Judge:   fraud.Judge,
		Surging: func(p *vote.Poll, choices []string) bool { return s.fraud[p.ID].velocity.Surging(choices) },
		Now:     s.now,
	}
	s.seq = cfg.Log
	if s.assets, err = loadAssets(static.FS()); err != nil {
		return nil, err
	}
	if err := checkLanguages(cfg.Polls, s.assets); err != nil {
		return nil, err
	}
	if s.cats, err = loadCatalogues(s.assets); err != nil {
		return nil, err
	}
	if s.fonts, err = newPreviewFonts(); err != nil {
		return nil, err
	}
	s.images = newPreviewCache()
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
	// A live connection's handler returns after starting the hub's reader (ws.go): the
	// connection is the hub's to close.
	app.Server().KeepHijackedConns = true
	guardMethods(app, s.obs)
	app.Use(s.observeHTTP())
	s.routes(app)
	every := cfg.SampleEvery
	if every <= 0 {
		every = defaultSampleEvery
	}
	return &Server{s: s, app: app, every: every}, nil
}

// Serve serves the API on ln until Shutdown.
func (srv *Server) Serve(ln net.Listener) error { return srv.app.Listener(ln) }

// Shutdown stops accepting connections and waits up to timeout for the requests in flight.
func (srv *Server) Shutdown(timeout time.Duration) error {
	return srv.app.ShutdownWithTimeout(timeout)
}

// Sample samples every poll every Config.SampleEvery until ctx is done (sample.go), then shares
// this instance's last fraud counts.
func (srv *Server) Sample(ctx context.Context) { srv.s.sample(ctx, srv.every) }

// Settle settles the polls' pending ballots until ctx is done (sample.go).
func (srv *Server) Settle(ctx context.Context) {
	srv.s.settle(ctx, min(srv.every, settleEvery))
}
