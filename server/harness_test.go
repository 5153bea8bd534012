package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/internal/servertest"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/redisstore"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/internal/apiclient"
	"github.com/livevote/livevote/internal/pow"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

const adminToken = "organiser-secret"

// clock is a settable clock for the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// stores lists the stores every API test runs on.
func stores() map[string]func(t *testing.T) vote.Store {
	return map[string]func(t *testing.T) vote.Store{
		"memory": func(*testing.T) vote.Store { return memstore.New() },
		"redis": func(t *testing.T) vote.Store {
			s, err := redisstore.Open(context.Background(), votetest.RedisURL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// forEachStore runs f once per store.
func forEachStore(t *testing.T, f func(t *testing.T, newStore func(t *testing.T) vote.Store)) {
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) { f(t, newStore) })
	}
}

// env is one server under test, listening on loopback.
type env struct {
	t     *testing.T
	URL   string
	Poll  *vote.Poll
	Store vote.Store
	Clock *clock
	Hub   *hub.Hub
	// Stop shuts the server down as run does: live connections first, then the listener.
	Stop func()
}

type option func(*server.Config)

func withRateLimit(n int) option { return func(c *server.Config) { c.RateLimit = n } }

// withProxies trusts the X-Forwarded-For of these peers.
func withProxies(list ...string) option { return func(c *server.Config) { c.TrustedProxies = list } }

// withOrigins allows only these Origin values to open live updates.
func withOrigins(list ...string) option { return func(c *server.Config) { c.WSOrigins = list } }

// withLog writes the server's log to w, at every level.
func withLog(w io.Writer) option {
	return func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// newEnv serves one test poll (votetest.Poll with the given extra YAML lines) on store.
func newEnv(t *testing.T, store vote.Store, pollYAML []string, opts ...option) *env {
	t.Helper()
	clk := &clock{t: time.Now()}
	cfg := server.Config{
		Polls: []*vote.Poll{votetest.Poll(t, pollYAML...)}, Store: store, Secret: []byte("test secret"),
		AdminToken: adminToken, Now: clk.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := servertest.Start(t, cfg)
	return &env{t: t, URL: srv.URL, Poll: cfg.Polls[0], Store: store, Clock: clk, Hub: srv.Hub, Stop: srv.Close}
}

// withPoll serves p instead of a new test poll (for several instances of one deployment).
func withPoll(p *vote.Poll) option { return func(c *server.Config) { c.Polls = []*vote.Poll{p} } }

// client is one browser: it keeps its cookies. It speaks HTTP through the project's API client.
type client struct {
	e   *env
	api *apiclient.Client
}

// voter returns a client that has opened the poll (and so holds a voter cookie).
func (e *env) voter() *client {
	c := e.anonymous()
	c.mustGet("/api/v1/polls/"+e.Poll.ID, 200)
	return c
}

// anonymous returns a client without cookies.
func (e *env) anonymous() *client {
	api, err := apiclient.New(e.URL, apiclient.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, api: api}
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

// Code is the error code of an error answer.
func (r response) Code(t *testing.T) string {
	t.Helper()
	code, message := apiclient.ErrorCode(r.Body)
	if code == "" || message == "" {
		t.Fatalf("not an API error (%d): %q", r.Status, r.Body)
	}
	return code
}

// do sends one request with the headers given as name, value pairs.
func (c *client) do(method, path string, body []byte, header ...string) response {
	c.e.t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	r, err := c.api.Do(context.Background(), method, path, body, h)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return response{Status: r.Status, Header: r.Header, Body: r.Body}
}

func (c *client) get(path string, header ...string) response {
	return c.do("GET", path, nil, header...)
}

func (c *client) mustGet(path string, status int, header ...string) response {
	c.e.t.Helper()
	r := c.get(path, header...)
	if r.Status != status {
		c.e.t.Fatalf("GET %s = %d %s, want %d", path, r.Status, r.Body, status)
	}
	return r
}

func (c *client) postJSON(path string, v any, header ...string) response {
	c.e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.do("POST", path, b, header...)
}

// admin calls an organiser endpoint with the token.
func (e *env) admin(what string, v any) response {
	e.t.Helper()
	return e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/"+what, v, "Authorization", "Bearer "+adminToken)
}

// mustAdmin calls an organiser endpoint and wants 200.
func (e *env) mustAdmin(what string, v any) {
	e.t.Helper()
	if r := e.admin(what, v); r.Status != 200 {
		e.t.Fatalf("admin %s %v = %d %s", what, v, r.Status, r.Body)
	}
}

// solve fetches a challenge and solves it: the pow of a vote body (nil when the poll asks for
// none, or when there is no challenge to get: the vote will be answered with the reason).
func (c *client) solve() map[string]any {
	c.e.t.Helper()
	ch, err := c.api.Challenge(context.Background(), c.e.Poll.ID)
	if _, refused := errors.AsType[*apiclient.Error](err); refused {
		return nil
	} else if err != nil {
		c.e.t.Fatal(err)
	}
	return solved(c.e.t, ch)
}

// solveChallenge solves the challenge answer ch (decoded as a map) and returns the pow of a vote
// body (nil when the poll asks for none).
func solveChallenge(t *testing.T, ch map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(ch)
	var c pow.Challenge
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("challenge %s: %v", b, err)
	}
	return solved(t, c)
}

// solved solves ch with the project's solver and returns the pow of a vote body as a map, which
// a test may change to send a wrong one (nil when the poll asks for none).
func solved(t *testing.T, ch pow.Challenge) map[string]any {
	t.Helper()
	if !ch.Required() {
		return nil
	}
	sol, err := pow.Solve(ch)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"algorithm": sol.Algorithm, "challenge": sol.Challenge, "number": int(sol.Number), "salt": sol.Salt, "signature": sol.Signature}
}

// vote posts a ballot with a solved challenge (when the poll asks for one).
func (c *client) vote(choices ...string) response {
	c.e.t.Helper()
	body := map[string]any{"choices": choices}
	if solution := c.solve(); solution != nil {
		body["pow"] = solution
	}
	return c.postJSON("/api/v1/polls/"+c.e.Poll.ID+"/votes", body)
}

func (c *client) mustVote(choices ...string) string {
	c.e.t.Helper()
	r := c.vote(choices...)
	if r.Status != 201 {
		c.e.t.Fatalf("vote %v = %d %s", choices, r.Status, r.Body)
	}
	return r.JSON(c.e.t)["receipt"].(string)
}

func (e *env) results(header ...string) map[string]any {
	e.t.Helper()
	return e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID+"/results", 200, header...).JSON(e.t)
}

// failing is a store that reads its state but fails to record, as a store going down would.
type failing struct{ vote.Store }

var errDown = errors.New("connection refused")

func (failing) unavailable() error { return errors.Join(vote.ErrUnavailable, errDown) }
func (f failing) Cast(context.Context, *vote.Poll, vote.Ballot) (vote.Counted, error) {
	return vote.Counted{}, f.unavailable()
}
func (f failing) Ping(context.Context) error { return f.unavailable() }

func contains(s []byte, sub string) bool { return strings.Contains(string(s), sub) }
