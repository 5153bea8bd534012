// Package apiclient is livevote's HTTP API seen from outside: a client that speaks HTTP (net/http)
// to a running server, as a browser or a script does, and knows nothing of the server's code.
// The load tool and the tests (server/, the browser test, the load test) use it; it must not
// import the server.
//
// A Client is one browser: it keeps the cookies the server sets (the voter cookie) in its own
// jar, so two Clients are two voters. The typed calls (Poll, Challenge, Vote, Cast, Results,
// SetDifficulty) answer an *Error for an answer other than the one they expect; Do answers any
// response, for tests that look at statuses and headers themselves.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"time"
)

// VoterCookie is the name of the cookie that identifies a voter.
const VoterCookie = "lv_voter"

// Options are a Client's settings; the zero value is a voter with a default transport.
type Options struct {
	// Token is the organiser token, sent by the organiser calls (Results, SetDifficulty).
	Token string
	// Header is sent with every request (User-Agent, Accept-Language, X-Forwarded-For, ...).
	Header http.Header
	// Transport carries the requests; nil: http.DefaultTransport. Clients may share one.
	Transport http.RoundTripper
	// Timeout bounds each request; 0: 10 seconds.
	Timeout time.Duration
}

// Client is one browser of the server at a base URL. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	token  string
	header http.Header
	hc     *http.Client
}

// New returns a client of the server at base (http://host:port), with an empty cookie jar.
func New(base string, o Options) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("apiclient: base URL %q: want http://host:port", base)
	}
	jar, _ := cookiejar.New(nil) // never fails without options
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	return &Client{base: u, token: o.Token, header: o.Header, hc: &http.Client{Jar: jar, Timeout: o.Timeout, Transport: o.Transport}}, nil
}

// Response is one answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request to path (with its query) with body (sent as JSON when not nil), the
// client's Header, header (which overrides it) and the cookies of its jar. It answers any status;
// the error is a transport error only.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, header http.Header) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = slices.Clone(v)
	}
	for k, v := range header {
		req.Header[k] = slices.Clone(v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// Voter is the value of the client's voter cookie, "" before the server set one.
func (c *Client) Voter() string {
	for _, k := range c.hc.Jar.Cookies(c.base) {
		if k.Name == VoterCookie {
			return k.Value
		}
	}
	return ""
}

// SetVoter makes the client the voter whose cookie value is v (one prepared earlier).
func (c *Client) SetVoter(v string) {
	c.hc.Jar.SetCookies(c.base, []*http.Cookie{{Name: VoterCookie, Value: v, Path: "/"}})
}

// Error is an answer other than the one a typed call expects. For the API's errors, Code and
// Message are those of its JSON error body (docs/API.md); for others they are empty.
type Error struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
	Body         []byte
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, bytes.TrimSpace(e.Body))
}

// ErrorCode is the code and message of the API's JSON error body b; "" when b is not one.
func ErrorCode(b []byte) (code, message string) {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "", ""
	}
	return e.Error.Code, e.Error.Message
}

// call sends a request (v marshalled as its JSON body when not nil) and decodes the answer into
// out when its status is want; any other status is an *Error.
func (c *Client) call(ctx context.Context, method, path string, organiser bool, v any, want int, out any) error {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return err
		}
	}
	var header http.Header
	if organiser {
		header = http.Header{"Authorization": {"Bearer " + c.token}}
	}
	res, err := c.Do(ctx, method, path, body, header)
	if err != nil {
		return err
	}
	if res.Status != want {
		e := &Error{Method: method, Path: path, Status: res.Status, Body: res.Body}
		e.Code, e.Message = ErrorCode(res.Body)
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.Body, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}
