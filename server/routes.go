package server

import "github.com/gofiber/fiber/v2"

// routes lists the whole API of API.md.
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
	admin.Post("/polls/:poll/held/:receipt", s.handleReview())
	admin.Get("/polls/:poll/export", s.handleExport())
	admin.Get("/polls/:poll/audit", s.handleAudit())

	app.Get("/ws/polls/:poll", s.handleWSUpgrade(), s.handleWS())

	app.Use("/api", func(*fiber.Ctx) error { return errNotFound })
}
