package pages_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/server/pages"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

// fakeAPI answers the pages as the server's API would, from fixed values.
type fakeAPI struct {
	state vote.State
	voted bool
	err   error // of every read
}

func (f fakeAPI) State(context.Context, *vote.Poll) (vote.State, error) { return f.state, f.err }

func (f fakeAPI) PollView(p *vote.Poll, _ vote.State) ([]byte, error) {
	return []byte(`{"id":"` + p.ID + `"}`), nil
}

func (f fakeAPI) Me(context.Context, *vote.Poll, string) (any, bool, error) {
	return map[string]bool{"voted": f.voted}, f.voted, f.err
}

func (f fakeAPI) Snapshot(_ context.Context, _ *vote.Poll, now time.Time) (vote.Snapshot, error) {
	return vote.Snapshot{State: f.state, At: now}, f.err
}

// site is the pages of one test poll, mounted as server/routes.go mounts them (without its rate
// limits and host check), served on a loopback port.
type site struct {
	url  string
	poll *vote.Poll
}

const pollLocal = "test.poll"

// newSite serves the pages of a test poll over api; cfg, when given, changes the Config first.
func newSite(t *testing.T, api pages.API, cfg ...func(*pages.Config)) *site {
	t.Helper()
	p := votetest.Poll(t)
	c := pages.Config{
		Polls:  []*vote.Poll{p},
		PollOf: func(c *fiber.Ctx) *vote.Poll { q, _ := c.Locals(pollLocal).(*vote.Poll); return q },
		API:    api, Keys: access.NewKeys([]byte("test secret")),
		Now: time.Now, Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range cfg {
		f(&c)
	}
	pg, err := pages.New(c)
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	missing := pg.Missing()
	poll := func(c *fiber.Ctx) error {
		if c.Params("poll") != p.ID {
			return missing(c)
		}
		c.Locals(pollLocal, p)
		return c.Next()
	}
	app.Get("/", pg.Ballot())
	app.Get("/vote/:poll", poll, pg.Ballot())
	app.Get("/live/:poll", poll, pg.Live())
	app.Get("/static/:name", pg.Asset())
	app.Get("/qr/:poll.svg", poll, pg.QR())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	return &site{url: "http://" + ln.Addr().String(), poll: p}
}

// get answers GET path with the headers given as name, value pairs.
func (s *site) get(t *testing.T, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	r, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r, body
}
