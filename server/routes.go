package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
)

// routes lists the whole API of docs/API.md, then the pages.
func (s *server) routes(app *fiber.App) {
	app.Use(checkHost())     // protocol.go: a Host that is not a host is 400 invalid_host
	app.Use(s.guardTokens()) // access.go: each token read once, wrong ones limited per source

	app.Get("/healthz", handleHealthz())
	app.Get("/readyz", s.handleReadyz())

	api := app.Group("/api/v1", s.rateLimit())
	api.Get("/polls", s.handlePolls())
	// Every route with :poll finds its poll with withPoll (pollparam.go), after the checks that
	// docs/API.md answers first: an unknown poll is 404 poll_not_found.
	poll := s.withPoll()
	api.Get("/polls/:poll", poll, s.handlePoll())
	api.Get("/polls/:poll/challenge", poll, s.handleChallenge())
	api.Post("/polls/:poll/votes", s.observeVote(), limitVoteBody(), poll, s.handleVote())
	api.Get("/polls/:poll/me", poll, s.handleMe())
	api.Get("/polls/:poll/results", poll, s.handleResults())
	api.Get("/polls/:poll/turnout", poll, s.handleTurnout())
	api.Get("/receipts/:receipt", s.handleReceipt())

	// The transparency log (package translog/logweb): public, except a poll's leaves (public
	// and sealed) until its log is opened (organiser and auditor only: server.go, mayReadLog).
	tl := s.tlog
	api.Get("/log-key", tl.Key())
	api.Get("/polls/:poll/checkpoint", poll, tl.Checkpoint())
	api.Get("/polls/:poll/consistency", poll, tl.Consistency())
	api.Get("/polls/:poll/log", poll, tl.Leaves())
	api.Get("/polls/:poll/sealed", poll, tl.Sealed())
	api.Get("/receipts/:receipt/proof", tl.Proof())

	// Organiser routes, each with the right it needs (access/roles.go): read (organiser, auditor),
	// results (organiser, operator, a screen token on its poll), change (organiser).
	read, results, change := access.Require(access.RightRead), access.Require(access.RightResults), access.Require(access.RightChange)
	admin := api.Group("/admin", access.RequireToken())
	admin.Post("/polls/:poll/status", change, poll, s.handleSetStatus())
	admin.Post("/polls/:poll/results", results, poll, s.handleSetResults())
	admin.Post("/polls/:poll/reveal", results, poll, s.handleReveal())
	admin.Get("/polls/:poll/checklist", results, poll, s.handleChecklist())
	admin.Post("/polls/:poll/screen-token", results, poll, s.handleScreenToken())
	admin.Post("/polls/:poll/difficulty", change, poll, s.handleSetDifficulty())
	admin.Get("/polls/:poll/held", read, poll, s.handleHeld())
	admin.Post("/polls/:poll/held", change, poll, s.handleBulkReview())
	admin.Get("/polls/:poll/held/groups", read, poll, s.handleHeldGroups())
	admin.Post("/polls/:poll/held/groups", change, poll, s.handleGroupReview())
	admin.Post("/polls/:poll/held/:receipt", change, poll, s.handleReview())
	admin.Get("/polls/:poll/export", read, poll, s.handleExport())
	admin.Get("/polls/:poll/audit", read, poll, s.handleAudit())
	admin.Get("/polls/:poll/signals", read, poll, s.handleSignals())
	admin.Get("/polls/:poll/trusted", read, poll, s.handleTrusted())
	admin.Post("/polls/:poll/trusted", change, poll, s.handleSetTrusted(true))
	admin.Delete("/polls/:poll/trusted", change, poll, s.handleSetTrusted(false))
	admin.Post("/polls/:poll/new-networks/hold", change, poll, s.handleHoldNewNetworks())

	// Live updates: the server checks the Origin and the poll, the hub's handler upgrades and
	// serves the connection (ws.go).
	app.Get("/ws/polls/:poll", s.checkWSOrigin(), poll, s.handleLive())

	app.Use("/api", func(*fiber.Ctx) error { return errNotFound })

	// Pages (package server/pages, files in static/): the ballot, a receipt, the big screen, the
	// organiser's console, public participation, each limited per source (access.go); their
	// files; the QR code of the ballot for the big screen; the share image (limited too: it is
	// drawn); the poll's logo (branding in the ballot file).
	// A page about an unknown poll is the "not found" page (404: withPollPage).
	pg, limit, page := s.pages, s.pageLimit(), s.withPollPage()
	app.Get("/", limit, pg.Ballot())
	app.Get("/vote/:poll", limit, page, pg.Ballot())
	app.Get("/receipt", limit, pg.Page("receipt.html"))
	app.Get("/receipt/:receipt", limit, pg.Page("receipt.html"))
	app.Get("/screen/:poll", limit, page, pg.Page("screen.html"))
	app.Get("/organiser/:poll", limit, page, pg.Page("organiser.html"))
	app.Get("/live/:poll", limit, page, pg.Live())
	app.Get("/static/:name", pg.Asset())
	app.Get("/qr/:poll.svg", poll, pg.QR())
	app.Get("/share/:poll.png", limit, poll, pg.ShareImage())
	app.Get("/branding/:poll/logo", poll, pg.Logo())
	app.Use(s.handleNotFound()) // any other path: a page for people, JSON for programs
}
