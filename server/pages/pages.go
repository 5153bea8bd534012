// Package pages serves livevote's web pages (package static), each a shell that its JavaScript
// module fills from the public API and the live WebSocket, and what the server draws or writes
// for them: the ballot's boot block, each page's language and share preview tags, the QR code of
// the ballot, the share image and the poll's logo. The files are read and compressed once, at
// start (New).
//
// It knows the JSON API only through API, which package server gives it, and the request's poll
// through Config.PollOf: the server's routes (server/routes.go) mount its handlers behind the
// server's own middleware (the host check, the rate limits, the poll lookup). It never imports
// package server.
package pages

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/vote"
)

// ErrBadHost is the answer to a request whose Host header is not a host (or is missing) on a
// route that needs it for an address of its own (the QR code, the share tags). The server maps
// it to 400 invalid_host.
var ErrBadHost = errors.New("the Host header is not a host name or an IP address with an optional port")

// API is what the pages carry of the JSON API's answers; package server implements it.
type API interface {
	// State is the poll's state as the API reads it (Status Effective now).
	State(ctx context.Context, p *vote.Poll) (vote.State, error)
	// PollView is the body of GET /api/v1/polls/{poll} for p in state st. The caller must not
	// modify it.
	PollView(p *vote.Poll, st vote.State) ([]byte, error)
	// Me is the answer of GET /api/v1/polls/{poll}/me for the voter with id ("": none), and
	// whether that voter has a ballot in p.
	Me(ctx context.Context, p *vote.Poll, voter string) (me any, voted bool, err error)
	// Snapshot reads the poll's state and counts now (vote.Snapshots).
	Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error)
}

// Config is everything the pages depend on.
type Config struct {
	// Polls are the configured polls in the ballot file's order: the ballot at / shows the first
	// open one (else the first).
	Polls []*vote.Poll
	// PollOf returns the request's poll as the server's middleware found it (nil on a route
	// without one: the ballot at /).
	PollOf func(c *fiber.Ctx) *vote.Poll
	API    API
	// Keys give a voter cookie and a proof-of-work challenge (the ballot page).
	Keys access.Keys
	// Proxies are the trusted proxies, whose X-Forwarded-Proto the ballot's address believes.
	Proxies access.Proxies
	// PublicURL is where voters reach the ballot; empty: derived from the request.
	PublicURL string
	Now       func() time.Time
	Logger    *slog.Logger
}

// Pages serves the pages of Config.Polls. Its handlers are safe for concurrent use.
type Pages struct {
	cfg    Config
	assets map[string]*asset     // the pages and their files, by name under /static/ (assets.go)
	cats   map[string]*catalogue // the pages' catalogues, by asset name (languages.go)
	fonts  *previewFonts         // the share image's (previewimage.go)
	images *previewCache         // share images drawn (share.go)
}

// New reads and compresses the pages' files and checks that every poll's languages have a
// catalogue. It starts no goroutine.
func New(cfg Config) (*Pages, error) {
	if len(cfg.Polls) == 0 || cfg.PollOf == nil || cfg.API == nil || cfg.Now == nil || cfg.Logger == nil {
		return nil, errors.New("pages: polls, PollOf, API, Now and Logger are required")
	}
	pg := &Pages{cfg: cfg, images: newPreviewCache()}
	var err error
	if pg.assets, err = embeddedAssets(); err != nil {
		return nil, err
	}
	if err := checkLanguages(cfg.Polls, pg.assets); err != nil {
		return nil, err
	}
	if pg.cats, err = loadCatalogues(pg.assets); err != nil {
		return nil, err
	}
	if pg.fonts, err = newPreviewFonts(); err != nil {
		return nil, err
	}
	return pg, nil
}

// pageCSP keeps every page to its own origin: no third-party request can be made, no inline script
// runs. connect-src 'self' covers the page's own WebSocket (ws: and wss: on the same host).
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// Page serves the page in file name (after the server's poll lookup when the page is about the
// poll named by :poll). The ballot has Ballot, the live page Live.
func (pg *Pages) Page(name string) fiber.Handler {
	page := pg.file(name)
	return func(c *fiber.Ctx) error {
		pageHeaders(c)
		return page.send(c)
	}
}

// file is the embedded file name; it panics when there is none (a page the routes name).
func (pg *Pages) file(name string) *asset {
	a := pg.assets[name]
	if a == nil {
		panic("pages: embedded file missing: " + name)
	}
	return a
}

// pageHeaders sets the security headers of every page.
func pageHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
}

// Asset serves the pages' scripts, styles and images under /static/{name}.
func (pg *Pages) Asset() fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, ok := pg.assets[c.Params("name")]
		if !ok || strings.HasSuffix(c.Params("name"), ".html") {
			return fiber.ErrNotFound
		}
		if strings.HasSuffix(c.Params("name"), ".js") {
			// The proof-of-work Web Worker and the modules run under the page's policy.
			c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
		}
		return a.send(c)
	}
}

// Missing answers the "not found" page (404) with the pages' headers: for a page about a poll
// that does not exist, and for a person's browser on a path no route serves.
func (pg *Pages) Missing() fiber.Handler {
	missing := pg.file("notfound.html")
	return func(c *fiber.Ctx) error {
		pageHeaders(c)
		c.Status(fiber.StatusNotFound)
		return missing.send(c)
	}
}

// logoCSP keeps a logo inert when opened on its own: an SVG may carry script.
const logoCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// Logo serves the poll's logo from its ballot file (404 when it has none).
func (pg *Pages) Logo() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pg.cfg.PollOf(c)
		if p.Branding.Logo == nil {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentSecurityPolicy, logoCSP)
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderContentType, p.Branding.LogoType)
		return c.Send(p.Branding.Logo)
	}
}
