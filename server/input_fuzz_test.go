package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
	"github.com/valyala/fasthttp"
)

// Fuzz targets for the inputs a stranger controls besides the vote body (vote_fuzz_test.go):
// the voter cookie, the proof-of-work fields, X-Forwarded-For, the API's query parameters and
// the frames a live-updates client sends. Seeds: testdata/fuzz/<target> and the ones added here.

// FuzzVoterCookie reads arbitrary cookie values: only a value this deployment signed names a
// voter, the id it names is the value's own (at most 64 bytes, before the dot), and a
// deployment with another secret never accepts it.
func FuzzVoterCookie(f *testing.F) {
	k, other := newKeys([]byte("s")), newKeys([]byte("another secret"))
	_, good := k.newVoter()
	for _, s := range []string{good, good + "x", "." + good, strings.Replace(good, ".", "..", 1), "abc.def", "",
		".", "a.", strings.Repeat("a", 65) + ".x", good[:len(good)-1], strings.ToUpper(good)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		id := k.voterID(cookie)
		if id == "" {
			return
		}
		if len(id) > 64 || !strings.HasPrefix(cookie, id+".") {
			t.Fatalf("cookie %q names voter %q", cookie, id)
		}
		sig, _ := base64.RawURLEncoding.DecodeString(cookie[len(id)+1:])
		if !hmac.Equal(sig, k.cookie.sum(id)[:16]) {
			t.Fatalf("cookie %q accepted without its signature", cookie)
		}
		if other.voterID(cookie) != "" {
			t.Fatalf("cookie %q accepted under another secret", cookie)
		}
	})
}

// FuzzProofOfWork verifies arbitrary solutions. Seeds start from a real solved challenge. A
// solution passes only when its signature is this deployment's for its salt and challenge, its
// number solves the challenge, and it is bound to this poll and voter and unexpired (another
// secret, poll or voter, or a later time, refuses it).
func FuzzProofOfWork(f *testing.F) {
	k := newKeys([]byte("s"))
	now := time.Date(2023, 11, 20, 10, 0, 0, 0, time.UTC)
	voter := k.voterKey("voter")
	ch := k.newChallenge("p", voter, 50, now)
	var n int64
	for ; n <= 50 && sha256Hex(ch.Salt+itoa(n)) != ch.Challenge; n++ {
	}
	f.Add(ch.Algorithm, ch.Challenge, n, ch.Salt, ch.Signature)
	f.Add(ch.Algorithm, ch.Challenge, n+1, ch.Salt, ch.Signature)
	f.Add("SHA-1", ch.Challenge, n, ch.Salt, ch.Signature)
	f.Add(ch.Algorithm, ch.Challenge, int64(-1), ch.Salt+"&max=0", ch.Signature)
	f.Add(ch.Algorithm, "", int64(0), "", "")
	f.Add(ch.Algorithm, ch.Challenge, n, strings.Replace(ch.Salt, "max=50", "max=5", 1), ch.Signature)
	other := newKeys([]byte("another secret"))
	f.Fuzz(func(t *testing.T, algorithm, challenge string, number int64, salt, signature string) {
		s := &solution{Algorithm: algorithm, Challenge: challenge, Number: number, Salt: salt, Signature: signature}
		exp, ok := k.verify(s, "p", voter, 50, now)
		if !ok {
			return
		}
		if exp.Sub(now) <= 0 || exp.Sub(now) > challengeTTL {
			t.Fatalf("%+v accepted, expiring at %s", s, exp)
		}
		if sha256Hex(salt+itoa(number)) != challenge {
			t.Fatalf("%+v accepted without solving its challenge", s)
		}
		for what, refused := range map[string]bool{
			"another secret": func() bool { _, ok := other.verify(s, "p", voter, 50, now); return !ok }(),
			"another poll":   func() bool { _, ok := k.verify(s, "q", voter, 50, now); return !ok }(),
			"another voter":  func() bool { _, ok := k.verify(s, "p", k.voterKey("other"), 50, now); return !ok }(),
			"a harder poll":  func() bool { _, ok := k.verify(s, "p", voter, 51, now); return !ok }(),
			"expired":        func() bool { _, ok := k.verify(s, "p", voter, 50, exp); return !ok }(),
		} {
			if !refused {
				t.Fatalf("%+v accepted for %s", s, what)
			}
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// FuzzForwardedFor reads the client IP of requests from a trusted proxy with arbitrary
// X-Forwarded-For: it is the proxy itself or an address of the header, never a trusted proxy
// of the header, always without a zone and IPv4-mapped form.
func FuzzForwardedFor(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "203.0.113.7, 10.0.0.1", "1.2.3.4, 203.0.113.7", "fe80::1%eth0",
		"::ffff:203.0.113.7", "", ",", "garbage, 203.0.113.7", "203.0.113.7,,10.0.0.2", "10.0.0.1",
		"2001:db8::1%25en0 , 10.0.0.3", strings.Repeat("10.0.0.1,", 50)} {
		f.Add(s)
	}
	ps, err := parseProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	if err != nil {
		f.Fatal(err)
	}
	app := fiber.New()
	peer := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, xff string) {
		var fctx fasthttp.RequestCtx
		var req fasthttp.Request
		req.Header.Set(fiber.HeaderXForwardedFor, xff)
		fctx.Init(&req, net.TCPAddrFromAddrPort(netip.AddrPortFrom(peer, 40000)), nil)
		c := app.AcquireCtx(&fctx)
		defer app.ReleaseCtx(c)
		got := ps.clientIP(c)
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("X-Forwarded-For %q: client %v", xff, got)
		}
		if got == peer {
			return
		}
		if ps.trusted(got) {
			t.Fatalf("X-Forwarded-For %q: a trusted proxy %v is the client", xff, got)
		}
		for _, hop := range strings.Split(c.Get(fiber.HeaderXForwardedFor), ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(hop)); err == nil && a.Unmap().WithZone("") == got {
				return
			}
		}
		t.Fatalf("X-Forwarded-For %q: client %v is not in it", xff, got)
	})
}

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
	h := hub.New(Snapshots(polls, store), hub.Options{})
	go h.Run(ctx)
	srv, err := New(Config{Polls: polls, Store: store, Secret: []byte("s"), AdminToken: "t", Hub: h, Ctx: ctx, Log: testLog(f, store, polls)})
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
	h := hub.New(Snapshots(polls, memstore.New()), hub.Options{})
	go h.Run(ctx)
	f.Fuzz(func(t *testing.T, data []byte) {
		conn := newFrameConn(data)
		sctx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		err := h.Serve(sctx, conn, polls[0].ID, hub.Public, hub.MaxHz)
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
