package pages

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// A partner's site shows the ballot of a poll whose ballot file lists it (embed_sites) in a frame:
// the snippet in the README, an iframe of /vote/{poll} and /static/embed.js, which sizes it from
// the height the ballot posts to it. Only that page may be framed, and only by those sites: every
// other page, and the ballot of a poll without embed_sites, answers frame-ancestors 'none' and
// X-Frame-Options DENY.
//
// Inside the frame the ballot is a third party, and browsers that block third-party cookies would
// drop the voter cookie: the ballot page loaded in a cross-site frame sets it partitioned (CHIPS:
// Partitioned; Secure; SameSite=None), a cookie kept for that top-level site only. The voter in
// the partner's frame is then a voter of its own, as in another browser, and counts once there.
// Where even that cookie is refused, the vote answers voter_token_required and the ballot offers
// to open itself in its own tab.

// embedCSP is the ballot page's policy for poll p: pageCSP, with p's embed sites as the
// frame-ancestors when it has some.
func embedCSP(p *vote.Poll) string {
	if p == nil || len(p.EmbedSites) == 0 {
		return pageCSP
	}
	return strings.Replace(pageCSP, "frame-ancestors 'none'", "frame-ancestors 'self' "+strings.Join(p.EmbedSites, " "), 1)
}

// allowFraming sets the ballot page's framing headers for poll p.
func allowFraming(c *fiber.Ctx, p *vote.Poll) {
	if p == nil || len(p.EmbedSites) == 0 {
		return
	}
	c.Set(fiber.HeaderContentSecurityPolicy, embedCSP(p))
	c.Response().Header.Del(fiber.HeaderXFrameOptions)
}

// framedCrossSite reports whether the request is the navigation of a frame in another site's page
// (Fetch Metadata; browsers without it are treated as top-level).
func framedCrossSite(c *fiber.Ctx) bool {
	return c.Get("Sec-Fetch-Dest") == "iframe" && c.Get("Sec-Fetch-Site") == "cross-site"
}
