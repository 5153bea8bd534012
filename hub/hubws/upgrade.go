package hubws

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
)

// validHandshake reports whether c's request is a WebSocket handshake the upgrade takes (RFC 6455
// section 4.2.1, as websocket.Upgrader checks it): a GET (Fiber routes a HEAD to a GET route too)
// asking for an upgrade to websocket, version 13 among the versions offered, a key of 16 bytes in
// base64. The handler checks it before the hijack, so that a handshake it refuses is answered as
// any error of the server's.
func validHandshake(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodGet || !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
		return false
	}
	version := false
	for v := range strings.SplitSeq(c.Get("Sec-WebSocket-Version"), ",") {
		version = version || strings.TrimSpace(v) == "13"
	}
	key, err := base64.StdEncoding.DecodeString(c.Get("Sec-WebSocket-Key"))
	return version && err == nil && len(key) == 16
}

// handshake returns what the upgrade needs of c's request, copied out of it (Fiber's values live
// only as long as the handler): its method and the headers websocket.Upgrader reads (the
// handshake's checks and the subprotocol; the Origin was judged before the handler).
func handshake(c *fiber.Ctx) *http.Request {
	r := &http.Request{Method: c.Method(), Header: make(http.Header, 6), Host: c.Hostname()}
	for _, k := range [...]string{"Connection", "Upgrade", "Sec-WebSocket-Version", "Sec-WebSocket-Key",
		"Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"} {
		for _, v := range c.Context().Request.Header.PeekAll(k) {
			r.Header.Add(k, string(v))
		}
	}
	return r
}

// hijacked is the upgrade's http.ResponseWriter: the hijacked socket, handed over as it is (the
// library writes the handshake's answer on it, and reads nothing buffered: there is nothing).
// refuse answers a handshake the library refuses (none that validHandshake passed).
type hijacked struct {
	conn   net.Conn
	header http.Header
}

func (w *hijacked) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

// Write and WriteHeader are never called (the library answers a refused handshake through its
// Error hook: refuse); they fail rather than write half an answer.
func (w *hijacked) Write([]byte) (int, error) { return 0, http.ErrHijacked }
func (w *hijacked) WriteHeader(int)           {}

// Hijack hands the socket over, with buffers the library reads nothing from and writes its
// answer through (then drops).
func (w *hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, 16), bufio.NewWriterSize(w.conn, 256)), nil
}

// refuse answers a refused handshake with status (400, 405...), as fasthttp would have, and asks
// the client to close the connection (the caller closes it).
func (w *hijacked) refuse(status int) {
	text := http.StatusText(status)
	_, _ = fmt.Fprintf(w.conn, "HTTP/1.1 %d %s\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n",
		status, text, len(text)+1, text)
}
