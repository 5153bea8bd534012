package server

import "github.com/gofiber/fiber/v2"

// routes lists the whole API of docs/API.md, then the pages.
func (s *server) routes(app *fiber.App) {
	app.Use(checkHost())     // protocol.go: a Host that is not a host is 400 invalid_host
	app.Use(s.guardTokens()) // tokenguard.go: wrong tokens limited per source, on every route

	app.Get("/healthz", handleHealthz())
	app.Get("/readyz", s.handleReadyz())

	api := app.Group("/api/v1", s.rateLimit())
	api.Get("/polls", s.handlePolls())
	api.Get("/polls/:poll", s.handlePoll())
	api.Get("/polls/:poll/challenge", s.handleChallenge())
	api.Post("/polls/:poll/votes", s.handleVote())
	api.Get("/polls/:poll/me", s.handleMe())
	api.Get("/polls/:poll/results", s.handleResults())
	api.Get("/polls/:poll/turnout", s.handleTurnout())
	api.Get("/receipts/:receipt", s.handleReceipt())

	// The transparency log (log.go, proof.go): public, except a poll's leaves (public and
	// sealed) until its log is opened (organiser and auditor only).
	api.Get("/log-key", s.handleLogKey())
	api.Get("/polls/:poll/checkpoint", s.handleCheckpoint())
	api.Get("/polls/:poll/consistency", s.handleConsistency())
	api.Get("/polls/:poll/log", s.handleLog())
	api.Get("/polls/:poll/sealed", s.handleSealed())
	api.Get("/receipts/:receipt/proof", s.handleProof())

	// Organiser routes, each with the right it needs (roles.go): read (organiser, auditor),
	// results (organiser, operator, a screen token on its poll), change (organiser).
	admin := api.Group("/admin", s.requireToken())
	admin.Post("/polls/:poll/status", s.require(rightChange), s.handleSetStatus())
	admin.Post("/polls/:poll/results", s.require(rightResults), s.handleSetResults())
	admin.Post("/polls/:poll/reveal", s.require(rightResults), s.handleReveal())
	admin.Get("/polls/:poll/checklist", s.require(rightResults), s.handleChecklist())
	admin.Post("/polls/:poll/screen-token", s.require(rightResults), s.handleScreenToken())
	admin.Post("/polls/:poll/difficulty", s.require(rightChange), s.handleSetDifficulty())
	admin.Get("/polls/:poll/held", s.require(rightRead), s.handleHeld())
	admin.Post("/polls/:poll/held", s.require(rightChange), s.handleBulkReview())
	admin.Get("/polls/:poll/held/groups", s.require(rightRead), s.handleHeldGroups())
	admin.Post("/polls/:poll/held/groups", s.require(rightChange), s.handleGroupReview())
	admin.Post("/polls/:poll/held/:receipt", s.require(rightChange), s.handleReview())
	admin.Get("/polls/:poll/export", s.require(rightRead), s.handleExport())
	admin.Get("/polls/:poll/audit", s.require(rightRead), s.handleAudit())
	admin.Get("/polls/:poll/signals", s.require(rightRead), s.handleSignals())
	admin.Get("/polls/:poll/trusted", s.require(rightRead), s.handleTrusted())
	admin.Post("/polls/:poll/trusted", s.require(rightChange), s.handleSetTrusted(true))
	admin.Delete("/polls/:poll/trusted", s.require(rightChange), s.handleSetTrusted(false))
	admin.Post("/polls/:poll/new-networks/hold", s.require(rightChange), s.handleHoldNewNetworks())

	app.Get("/ws/polls/:poll", s.handleWSUpgrade(), s.handleWS())

	app.Use("/api", func(*fiber.Ctx) error { return errNotFound })

	// Pages (pages.go, files in static/): the ballot, a receipt, the big screen, the organiser's
	// console, public participation, each limited per source (ratelimit.go); their files; the QR
	// code of the ballot for the big screen; the share image (limited too: it is drawn); the poll's
	// logo (branding in the ballot file).
	pages := s.pageLimit()
	app.Get("/", pages, s.handleBallotPage(false))
	app.Get("/vote/:poll", pages, s.handleBallotPage(true))
	app.Get("/receipt", pages, s.handlePage("receipt.html", false))
	app.Get("/receipt/:receipt", pages, s.handlePage("receipt.html", false))
	app.Get("/screen/:poll", pages, s.handlePage("screen.html", true))
	app.Get("/organiser/:poll", pages, s.handlePage("organiser.html", true))
	app.Get("/live/:poll", pages, s.handleLivePage())
	app.Get("/static/:name", s.handleAsset())
	app.Get("/qr/:poll.svg", s.handleQR())
	app.Get("/share/:poll.png", pages, s.handleShareImage())
	app.Get("/branding/:poll/logo", s.handleLogo())
	app.Use(s.handleNotFound()) // any other path: a page for people, JSON for programs
}
