package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
)

// rateLimit limits API requests per client IP and minute in this instance (sliding window); over
// the limit it answers 429 rate_limited with Retry-After. A limit of 0 turns it off.
func (s *server) rateLimit() fiber.Handler {
	if s.limit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:                s.limit,
		Expiration:         time.Minute,
		LimiterMiddleware:  limiter.SlidingWindow{},
		KeyGenerator:       func(c *fiber.Ctx) string { return s.proxies.clientIP(c).String() },
		LimitReached:       func(*fiber.Ctx) error { return errRateLimited },
		SkipFailedRequests: false,
	})
}
