package server

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// The server hosts the pages (package server/pages): routes.go mounts their handlers.

// pageAPI gives the pages (package server/pages) the API's answers they carry: the poll and the
// voter's own ballot in the ballot page's boot block, the state and the snapshot behind the share
// preview.
type pageAPI struct{ s *server }

func (a pageAPI) State(ctx context.Context, p *vote.Poll) (vote.State, error) {
	return a.s.states.get(ctx, p)
}

func (a pageAPI) PollView(p *vote.Poll, st vote.State) ([]byte, error) { return a.s.views.get(p, st) }

func (a pageAPI) Me(ctx context.Context, p *vote.Poll, voter string) (any, bool, error) {
	me, err := a.s.me(ctx, p, voter)
	return me, me.Voted, err
}

func (a pageAPI) Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error) {
	return a.s.store.Snapshot(ctx, p, now)
}

// handleNotFound answers every path no route serves: a person's browser (one that accepts
// text/html) gets the "not found" page, anything else, and every path under /api/, the API's JSON
// error.
func (s *server) handleNotFound() fiber.Handler {
	missing := s.pages.Missing()
	return func(c *fiber.Ctx) error {
		if strings.HasPrefix(c.Path(), "/api/") || !strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
			return errNotFound
		}
		return missing(c)
	}
}
