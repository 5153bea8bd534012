package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote/memstore"
)

// syncBuffer is a log sink the server writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// raw sends raw bytes on a new connection to the server and reads one answer.
func (e *env) raw(request string) response {
	e.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		e.t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatalf("no answer to %.80q: %v", request, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

const secretHeaders = "Cookie: lv_voter=SECRETCOOKIE.sig\r\nAuthorization: Bearer SECRETTOKEN\r\n"

// TestClientFaults: faults of the client's HTTP, found below the API's handlers (by fasthttp or
// Fiber's router), are answered in the API's JSON error format with their own status and code,
// never echo the request (its cookie and token), and are not logged as errors of the server.
func TestClientFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		request string
		status  int
		code    string
	}{
		{"request line over 4 KiB", "GET /api/v1/polls?x=" + strings.Repeat("x", 5000) + " HTTP/1.1\r\nHost: a\r\n" + secretHeaders + "\r\n", 431, "headers_too_large"},
		{"a header over 4 KiB", "GET /api/v1/polls HTTP/1.1\r\nHost: a\r\n" + secretHeaders + "X-Big: " + strings.Repeat("x", 5000) + "\r\n\r\n", 431, "headers_too_large"},
		{"two Content-Length headers", "POST /api/v1/polls/p/votes HTTP/1.1\r\nHost: a\r\n" + secretHeaders + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "invalid_request"},
		{"malformed request line", "GET\x00 /api/v1/polls HTTP/1.1\r\nHost: a\r\n" + secretHeaders + "\r\n", 400, "invalid_request"},
		{"unknown method", "BREW /api/v1/polls HTTP/1.1\r\nHost: a\r\n" + secretHeaders + "\r\n", 405, "method_not_allowed"},
		{"unknown method on a page", "BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 405, "method_not_allowed"},
		{"read timeout", "GET /api/v1/polls HTTP/1.1\r\nHost: a\r\n" + secretHeaders, 408, "request_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncBuffer{}
			e := newEnv(t, memstore.New(), nil, withLog(log), func(c *server.Config) { c.ReadTimeout = 300 * time.Millisecond })
			r := e.raw(tc.request)
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != tc.status || body.Error.Code != tc.code || body.Error.Message == "" {
				t.Errorf("answer %d %q, want %d with the JSON error %s", r.Status, r.Body, tc.status, tc.code)
			}
			for _, secret := range []string{"SECRETCOOKIE", "SECRETTOKEN", "Content-Length", "xxxxxxxx"} {
				if bytes.Contains(r.Body, []byte(secret)) || strings.Contains(log.String(), secret) {
					t.Errorf("the answer or the log echoes the request (%s): %q\nlog: %s", secret, r.Body, log.String())
				}
			}
			if strings.Contains(log.String(), "level=ERROR") {
				t.Errorf("a client's fault logged as an error:\n%s", log.String())
			}
		})
	}
}
