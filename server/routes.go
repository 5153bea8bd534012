package server

import "github.com/gofiber/fiber/v2"

// routes lists the whole API of API.md, then the pages.
func (s *server) routes(app *fiber.App) {
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

	admin := api.Group("/admin", s.requireAdmin())
	admin.Post("/polls/:poll/status", s.handleSetStatus())
	admin.Post("/polls/:poll/results", s.handleSetResults())
	admin.Post("/polls/:poll/difficulty", s.handleSetDifficulty())
	admin.Get("/polls/:poll/held", s.handleHeld())
	admin.Post("/polls/:poll/held", s.handleBulkReview())
	admin.Get("/polls/:poll/held/groups", s.handleHeldGroups())
	admin.Post("/polls/:poll/held/groups", s.handleGroupReview())
	admin.Post("/polls/:poll/held/:receipt", s.handleReview())
	admin.Get("/polls/:poll/export", s.handleExport())
	admin.Get("/polls/:poll/audit", s.handleAudit())
	admin.Get("/polls/:poll/signals", s.handleSignals())
	admin.Get("/polls/:poll/trusted", s.handleTrusted())
	admin.Post("/polls/:poll/trusted", s.handleSetTrusted(true))
	admin.Delete("/polls/:poll/trusted", s.handleSetTrusted(false))

	app.Get("/ws/polls/:poll", s.handleWSUpgrade(), s.handleWS())

	app.Use("/api", func(*fiber.Ctx) error { return errNotFound })

	// Pages (pages.go, files in static/): the ballot, a receipt, the big screen, the organiser's
	// console, public participation; their files; the QR code of the ballot for the big screen.
	app.Get("/", s.handlePage("vote.html", false))
	app.Get("/vote/:poll", s.handlePage("vote.html", true))
	app.Get("/receipt/:receipt", s.handlePage("receipt.html", false))
	app.Get("/screen/:poll", s.handlePage("screen.html", true))
	app.Get("/organiser/:poll", s.handlePage("organiser.html", true))
	app.Get("/live/:poll", s.handlePage("live.html", true))
	app.Get("/static/:name", s.handleAsset())
	app.Get("/qr/:poll.svg", s.handleQR())
}
