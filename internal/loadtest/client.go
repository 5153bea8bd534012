package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/livevote/livevote/internal/apiclient"
	"github.com/valyala/fasthttp"
)

// userAgent is what the tool calls itself in every request.
const userAgent = "livevote-loadtest"

// api is the tool's access to one server. The timed phase's requests (votes, /healthz) go over
// fasthttp with keep-alive connections, so that the tool spends as little of the shared CPU as it
// can; everything else (the poll, the difficulty, the counts, preparing voters) goes through the
// project's one API client.
type api struct {
	base string // http://host:port
	hc   *fasthttp.HostClient
	// org is the organiser's client: setup and the accounting check.
	org *apiclient.Client
	// voters are the settings of each voter's client: one transport for all (tr).
	voters apiclient.Options
	tr     *http.Transport
}

func newAPI(base, addr, token string, conns int, timeout time.Duration) (*api, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	header := http.Header{"User-Agent": {userAgent}, "Accept-Language": {"en"}}
	org, err := apiclient.New(base, apiclient.Options{Token: token, Header: header, Transport: tr, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	return &api{base: base, org: org, voters: apiclient.Options{Header: header, Transport: tr, Timeout: timeout}, tr: tr,
		hc: &fasthttp.HostClient{
			Addr:                          addr,
			Name:                          userAgent,
			MaxConns:                      conns,
			ReadTimeout:                   timeout,
			WriteTimeout:                  timeout,
			MaxIdleConnDuration:           time.Minute,
			MaxConnWaitTimeout:            timeout,
			DisableHeaderNamesNormalizing: true,
			ReadBufferSize:                16 << 10,
		}}, nil
}

// close closes the idle connections of both clients.
func (a *api) close() {
	a.tr.CloseIdleConnections()
	a.hc.CloseIdleConnections()
}

// prepared closes the voters' idle connections once they are prepared, so that the timed window
// loads the server through the fasthttp connections only.
func (a *api) prepared() { a.tr.CloseIdleConnections() }

// voter returns a new voter's client (no cookie yet).
func (a *api) voter() *apiclient.Client {
	c, _ := apiclient.New(a.base, a.voters) // a.base was accepted by newAPI
	return c
}

// call is one request of the timed phase; the caller owns req and res (acquired once per worker
// and reused). With fresh, the request opens a connection of its own and closes it.
func (a *api) call(req *fasthttp.Request, res *fasthttp.Response, method, path string, body []byte, fresh bool) error {
	req.Reset()
	req.Header.SetMethod(method)
	req.SetRequestURI(a.base + path)
	req.Header.Set("Accept-Language", "en")
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	if fresh {
		req.SetConnectionClose()
	}
	return a.hc.Do(req, res)
}

// newVoter opens the poll as a browser does (which sets the voter cookie) and, when the poll's
// difficulty is not 0, fetches and solves a challenge.
func (a *api) newVoter(ctx context.Context, poll string, difficulty int) (voter, error) {
	c := a.voter()
	// Only the cookie is needed: the answer is not decoded (thousands of voters are prepared).
	path := apiclient.PollPath(poll)
	res, err := c.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return voter{}, err
	}
	if res.Status != http.StatusOK {
		return voter{}, fmt.Errorf("GET %s: %d", path, res.Status)
	}
	v := voter{cookie: []byte(c.Voter())}
	if len(v.cookie) == 0 {
		return voter{}, fmt.Errorf("GET %s set no %s cookie", path, apiclient.VoterCookie)
	}
	if difficulty == 0 {
		return v, nil
	}
	pow, err := a.solve(ctx, c, poll)
	if err != nil {
		return voter{}, err
	}
	v.pow = pow
	return v, nil
}

// solve fetches a challenge for the voter of c and solves it: the vote's "pow" object, nil when
// the poll asks for no proof of work.
func (a *api) solve(ctx context.Context, c *apiclient.Client, poll string) ([]byte, error) {
	sol, err := c.Solve(ctx, poll)
	if err != nil || sol == nil {
		return nil, err
	}
	return json.Marshal(sol)
}

// resolve fetches and solves a new challenge for the prepared voter with this cookie.
func (a *api) resolve(ctx context.Context, poll string, cookie []byte) ([]byte, error) {
	c := a.voter()
	c.SetVoter(string(cookie))
	return a.solve(ctx, c, poll)
}

// jsonString returns the value of the first string field name in a JSON body, without decoding
// the whole body (the hot path reads receipts and error codes this way).
func jsonString(body []byte, name string) []byte {
	key := make([]byte, 0, len(name)+4)
	key = append(append(append(key, '"'), name...), `":"`...)
	i := bytes.Index(body, key)
	if i < 0 {
		return nil
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil
	}
	return rest[:j]
}
