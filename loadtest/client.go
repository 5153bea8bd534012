package loadtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// api is the tool's HTTP client for one server: fasthttp, keep-alive connections, so that the
// tool spends as little of the shared CPU as it can.
type api struct {
	base  string // http://host:port
	token string
	hc    *fasthttp.HostClient
}

func newAPI(base, addr, token string, conns int, timeout time.Duration) *api {
	return &api{base: base, token: token, hc: &fasthttp.HostClient{
		Addr:                          addr,
		Name:                          "livevote-loadtest",
		MaxConns:                      conns,
		ReadTimeout:                   timeout,
		WriteTimeout:                  timeout,
		MaxIdleConnDuration:           time.Minute,
		MaxConnWaitTimeout:            timeout,
		DisableHeaderNamesNormalizing: true,
		ReadBufferSize:                16 << 10,
	}}
}

// call is one request; the caller owns req and res (acquired once per worker and reused).
func (a *api) call(req *fasthttp.Request, res *fasthttp.Response, method, path string, body []byte) error {
	req.Reset()
	req.Header.SetMethod(method)
	req.SetRequestURI(a.base + path)
	req.Header.Set("Accept-Language", "en")
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	return a.hc.Do(req, res)
}

// getJSON sends a GET (with the organiser token when asked) and decodes a 200 answer into v.
func (a *api) getJSON(path string, organiser bool, v any) error {
	return a.sendJSON(fasthttp.MethodGet, path, organiser, nil, v)
}

func (a *api) sendJSON(method, path string, organiser bool, body []byte, v any) error {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.Header.SetMethod(method)
	req.SetRequestURI(a.base + path)
	if organiser {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	if err := a.hc.Do(req, res); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode() != fasthttp.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode(), bytes.TrimSpace(res.Body()))
	}
	if err := json.Unmarshal(res.Body(), v); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// pollInfo is what the tool needs of GET /api/v1/polls/{poll}.
type pollInfo struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Results    string `json:"results"`
	Difficulty int    `json:"difficulty"`
	Candidates []struct {
		ID string `json:"id"`
	} `json:"candidates"`
}

// counts is what the organiser's GET .../results says of the recorded ballots.
type counts struct {
	Ballots int64 `json:"ballots"`
	Held    int64 `json:"held"`
}

func (c counts) recorded() int64 { return c.Ballots + c.Held }

// firstPoll returns the id of the server's first poll.
func (a *api) firstPoll() (string, error) {
	var list struct {
		Polls []struct {
			ID string `json:"id"`
		} `json:"polls"`
	}
	if err := a.getJSON("/api/v1/polls", false, &list); err != nil {
		return "", err
	}
	if len(list.Polls) == 0 {
		return "", errors.New("the server has no polls")
	}
	return list.Polls[0].ID, nil
}

// challenge is a proof-of-work challenge (API.md: the ALTCHA scheme).
type challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Salt      string `json:"salt"`
	MaxNumber int64  `json:"max_number"`
	Signature string `json:"signature"`
}

// solve finds n with hex(SHA-256(salt + n)) == challenge and returns the "pow" object of a vote.
func solve(ch challenge) ([]byte, error) {
	want, err := hex.DecodeString(ch.Challenge)
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("challenge %q is not a SHA-256 hex digest", ch.Challenge)
	}
	buf := []byte(ch.Salt)
	for n := int64(0); n <= ch.MaxNumber; n++ {
		b := strconv.AppendInt(buf, n, 10)
		if sum := sha256.Sum256(b); bytes.Equal(sum[:], want) {
			return json.Marshal(struct {
				Algorithm string `json:"algorithm"`
				Challenge string `json:"challenge"`
				Number    int64  `json:"number"`
				Salt      string `json:"salt"`
				Signature string `json:"signature"`
			}{ch.Algorithm, ch.Challenge, n, ch.Salt, ch.Signature})
		}
	}
	return nil, fmt.Errorf("challenge has no solution up to %d", ch.MaxNumber)
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
