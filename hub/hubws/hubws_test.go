package hubws_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime"
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
//
// Both ways the handler can run: the app's server keeping hijacked connections (the reader a
// goroutine of its own, the request done), and not (the hijack handler serving to the end).
func TestHandler(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("KeepHijackedConns=%t", keep), func(t *testing.T) { testHandler(t, keep) })
	}
}

func testHandler(t *testing.T, keep bool) {
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
	app.Server().KeepHijackedConns = keep
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
	// A handshake the upgrade cannot take (an unknown version) is refused before the hijack, with
	// the server's 426, and takes no slot.
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(raw, "GET /ws?who=public HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	if res, err := http.ReadResponse(bufio.NewReader(raw), nil); err != nil || res.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("a handshake of version 8: %v, %v; want 426", res, err)
	}
	raw.Close()
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
	// Keeping hijacked connections, the request's handling ended at the upgrade: no goroutine is
	// left in fasthttp's hijack handler (which holds the request's context until it returns);
	// otherwise the one connection is served there.
	want := 1
	if keep {
		want = 0
	}
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	if got := bytes.Count(stacks, []byte("fasthttp.hijackConnHandler(")); got != want {
		t.Errorf("%d goroutines in fasthttp's hijack handler with one live connection, want %d", got, want)
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
