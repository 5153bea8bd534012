package hubws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/goleak"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/hub/hubws"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

// Every connection's goroutines end with the test; fasthttp's own (its clock, its worker pool's
// cleaner, which sleeps on after Shutdown) are not the handler's.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}

// The handler on a real listener: the server's ticket decides who a request is (its error is the
// answer), admission refuses before the upgrade with the server's error and reason, an admitted
// connection is upgraded with the livevote subprotocol (never another one the client offered) and
// gets the poll's snapshot, a refused one holds no slot, and Ctx ends the connections with 1001.
func TestHandler(t *testing.T) {
	p := votetest.Poll(t)
	h, err := hub.New(memstore.New(), hub.Options{Limits: hub.Limits{MaxConns: 2, Reserved: 1}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(runCtx) }()
	ctx, cancel := context.WithCancel(context.Background())

	var mu sync.Mutex
	var refused []string
	errRefused := fiber.NewError(fiber.StatusServiceUnavailable, "no room")
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/ws", hubws.Handler(h, hubws.Options{
		Ticket: func(c *fiber.Ctx) (hub.Ticket, error) {
			who := c.Query("who")
			if who == "nobody" {
				return hub.Ticket{}, fiber.ErrForbidden
			}
			return hub.Ticket{Poll: p, Audience: hub.Public, Hz: hub.MaxHz, Reserved: who == "screen",
				Source: netip.MustParsePrefix("192.0.2.1/32")}, nil
		},
		Refused: func(reason string) error {
			mu.Lock()
			refused = append(refused, reason)
			mu.Unlock()
			return errRefused
		},
		Ctx: ctx,
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	defer func() {
		stopRun()
		<-ran
		_ = app.Shutdown()
		<-served
	}()

	dial := func(who string) (*websocket.Conn, *http.Response, error) {
		hdr := http.Header{"Sec-WebSocket-Protocol": {"livevote, livevote.bearer.c2VjcmV0"}}
		return websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws?who="+who, hdr)
	}
	status := func(res *http.Response) int {
		if res == nil {
			return 0
		}
		return res.StatusCode
	}

	if _, res, err := dial("nobody"); err == nil || status(res) != fiber.StatusForbidden {
		t.Fatalf("a request the ticket refuses: %v, status %d; want 403", err, status(res))
	}
	public, res, err := dial("public")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer public.Close()
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != hubws.Subprotocol {
		t.Errorf("subprotocol %q, want %q", got, hubws.Subprotocol)
	}
	_ = public.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m struct{ Type, Poll string }
	if _, data, err := public.ReadMessage(); err != nil || json.Unmarshal(data, &m) != nil || m.Type != "snapshot" || m.Poll != p.ID {
		t.Fatalf("first message %+v (%v), want the poll's snapshot", m, err)
	}

	for range 2 { // refused twice: a refusal takes no slot
		if _, res, err := dial("public"); err == nil || status(res) != fiber.StatusServiceUnavailable {
			t.Fatalf("a public connection into the reserve: %v, status %d; want the server's 503", err, status(res))
		}
	}
	mu.Lock()
	if len(refused) != 2 || refused[0] != hub.RefusedReserved {
		t.Errorf("refusals %q, want two %q", refused, hub.RefusedReserved)
	}
	mu.Unlock()
	screen, _, err := dial("screen")
	if err != nil {
		t.Fatalf("the reserved pool's connection: %v", err)
	}
	defer screen.Close()

	cancel()
	for _, c := range []*websocket.Conn{public, screen} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var ce *websocket.CloseError
		for {
			if _, _, err = c.ReadMessage(); err != nil {
				break
			}
		}
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("after Ctx is done: %v, want close 1001", err)
		}
	}
}
