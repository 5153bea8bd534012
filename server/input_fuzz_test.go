package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

// Fuzz targets for the inputs a stranger controls besides the vote body (vote_fuzz_test.go) and
// those package access reads: the API's query parameters and the frames a live-updates client
// sends. Seeds: testdata/fuzz/<target> and the ones added here.

// FuzzQuery sends arbitrary query strings to every API path that reads query parameters (the
// organiser's with the token) and to live updates (up to the upgrade): the answer is never a
// 5xx, and every 4xx is the API's JSON error.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"limit=10", "limit=abc", "limit=0", "limit=1001", "limit=10&limit=20", "step=1h",
		"step=7s", "format=csv", "format=xml", "hz=4", "hz=abc", "hz=0", "hz=11", "hz=%00", "token=wrong",
		"subnet=203.0.113.0/24", "subnet=abc", "limit=%2B10", "limit=-1", "limit=1e3", "limit= 10", "",
		"&&&", "=", "limit", "a=b&c"} {
		f.Add(s)
	}
	polls, err := ballotfile.Parse([]byte(votetest.PollYAML()), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	p, store := polls[0], memstore.New()
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	h := testHub(f, store)
	go h.Run(ctx)
	srv, err := New(Config{Polls: polls, Store: store, Secret: []byte("s"), AdminToken: "t", Hub: h, Ctx: ctx, Log: testLog(f, store, polls),
		Fraud: fraud.New(fraud.Config{Polls: polls, Store: store, Results: VoteResults(), Hashes: access.NewKeys([]byte("s"))})})
	if err != nil {
		f.Fatal(err)
	}
	app := srv.app
	admin := []string{"Authorization", "Bearer t"}
	// A handshake of a WebSocket version nobody speaks: the server's checks before the upgrade
	// (hz, token, slots) run, then the upgrade fails with 426, so that no connection is hijacked
	// from app.Test's (which cannot be read and written at once).
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "12", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	f.Fuzz(func(t *testing.T, query string) {
		for _, r := range []struct {
			method, path string
			header       []string
		}{
			{"GET", "/api/v1/admin/polls/" + p.ID + "/held", admin},
			{"GET", "/api/v1/admin/polls/" + p.ID + "/export", admin},
			{"DELETE", "/api/v1/admin/polls/" + p.ID + "/trusted", admin},
			{"GET", "/api/v1/polls/" + p.ID + "/turnout", nil},
			{"GET", "/ws/polls/" + p.ID, upgrade},
		} {
			req, err := http.NewRequest(r.method, "http://livevote.test"+r.path+"?"+query, nil)
			if err != nil {
				t.Skip("not a URL")
			}
			for i := 0; i+1 < len(r.header); i += 2 {
				req.Header.Set(r.header[i], r.header[i+1])
			}
			res, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var e apiError
			switch {
			case res.StatusCode >= 500:
				t.Fatalf("%s %s?%s: %d %s", r.method, r.path, query, res.StatusCode, body)
			case res.StatusCode >= 400 && (json.Unmarshal(body, &e) != nil || e.Error.Code == "" || e.Error.Message == ""):
				t.Fatalf("%s %s?%s: %d without the JSON error: %q", r.method, r.path, query, res.StatusCode, body)
			}
		}
	})
}

// FuzzLiveFrames feeds a live-updates connection (the hub's read path, through a connection
// without a socket) arbitrary frames from the client: the connection ends when the client's
// frames run out or are too large, a few frames are never a flood, and nothing but snapshots is
// written to it.
func FuzzLiveFrames(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 5, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{2, 0, 3, 0, 1, 2, 'h', 'i'})
	f.Add(bytes.Repeat([]byte{2, 0}, 100))
	f.Add(bytes.Repeat([]byte{0, 1, 'x'}, 60))
	f.Add([]byte{0, 255})
	polls, err := ballotfile.Parse([]byte(votetest.PollYAML()), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	h := testHub(f, memstore.New())
	go h.Run(ctx)
	f.Fuzz(func(t *testing.T, data []byte) {
		conn := newFrameConn(data)
		sctx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		err := h.Serve(sctx, conn, polls[0], hub.Public, hub.MaxHz)
		if sctx.Err() != nil {
			t.Fatalf("frames %x: the connection did not end", data)
		}
		if errors.Is(err, hub.ErrFlood) && len(conn.frames) <= 20 {
			t.Fatalf("frames %x: %d frames closed as a flood", data, len(conn.frames))
		}
		conn.mu.Lock()
		defer conn.mu.Unlock()
		for _, w := range conn.written {
			var m struct{ Type string }
			if json.Unmarshal(w, &m) != nil || m.Type != "snapshot" {
				t.Fatalf("frames %x: wrote %q", data, w)
			}
		}
	})
}

// frameConn is a hub.Conn without a socket: its client sends the frames of a fuzz input, each
// a type byte (data text or binary, ping or pong) and a length byte then that many bytes, then
// goes away. It honours the read limit as fasthttp/websocket does (the read fails).
type frameConn struct {
	frames []frame

	mu      sync.Mutex
	next    int
	limit   int64
	onPong  func(string) error
	onPing  func(string) error
	written [][]byte
}

type frame struct {
	typ     int
	payload []byte
}

// The frame types of frameConn's input (RFC 6455 opcodes).
var frameTypes = [4]int{1, 2, 9, 10}

func newFrameConn(data []byte) *frameConn {
	c := &frameConn{}
	for len(data) >= 2 && len(c.frames) < 200 {
		typ, n := frameTypes[data[0]%4], int(data[1])
		data = data[2:]
		n = min(n, len(data))
		c.frames = append(c.frames, frame{typ, data[:n]})
		data = data[n:]
	}
	return c
}

var errClientGone = errors.New("frameConn: the client went away")

func (c *frameConn) NextReader() (int, io.Reader, error) {
	for {
		c.mu.Lock()
		if c.next >= len(c.frames) {
			c.mu.Unlock()
			return 0, nil, errClientGone
		}
		f := c.frames[c.next]
		c.next++
		limit, onPong, onPing := c.limit, c.onPong, c.onPing
		c.mu.Unlock()
		if limit > 0 && int64(len(f.payload)) > limit {
			return 0, nil, errors.New("frameConn: read limit exceeded")
		}
		switch f.typ {
		case 9:
			if onPing != nil {
				if err := onPing(string(f.payload)); err != nil {
					return 0, nil, err
				}
			}
		case 10:
			if onPong != nil {
				if err := onPong(string(f.payload)); err != nil {
					return 0, nil, err
				}
			}
		default:
			return f.typ, bytes.NewReader(f.payload), nil
		}
	}
}

func (c *frameConn) SetReadLimit(limit int64)            { c.mu.Lock(); c.limit = limit; c.mu.Unlock() }
func (c *frameConn) SetReadDeadline(time.Time) error     { return nil }
func (c *frameConn) SetWriteDeadline(time.Time) error    { return nil }
func (c *frameConn) Close() error                        { return nil }
func (c *frameConn) SetPongHandler(h func(string) error) { c.mu.Lock(); c.onPong = h; c.mu.Unlock() }

// SetPingHandler is fasthttp/websocket's, for a hub that counts the client's pings too.
func (c *frameConn) SetPingHandler(h func(string) error) { c.mu.Lock(); c.onPing = h; c.mu.Unlock() }

func (c *frameConn) WriteMessage(_ int, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.written = append(c.written, bytes.Clone(data))
	return nil
}

func (c *frameConn) WriteControl(int, []byte, time.Time) error { return nil }
