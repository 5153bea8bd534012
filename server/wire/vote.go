package wire

import (
	"strconv"
	"unicode/utf8"

	"github.com/livevote/livevote/server/access"
)

// Vote is the body of POST /api/v1/polls/{poll}/votes.
type Vote struct {
	Choices []string         `json:"choices"`
	Pow     *access.Solution `json:"pow"`
	// Website is the ballot page's honeypot: a field people do not see and leave empty.
	Website string `json:"website"`
	// Client is what the ballot page reports about itself (optional).
	Client *Client `json:"client"`
}

// Client is what the ballot page reports with a vote.
type Client struct {
	// Webdriver is the browser's navigator.webdriver: true when automation drives it.
	Webdriver bool `json:"webdriver"`
	// ElapsedMS is the time from showing the ballot to the vote, in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
}

// DecodeVote fills req from a vote's body exactly as DecodeStrict does, in a fraction of its
// time: the bodies the ballot page and the API client send (one object of the known fields,
// each once, strings without escapes, integers) are read by hand; anything else (an escape, a
// key in other letters, a field twice, an error) goes to DecodeStrict, which gives the same value
// or the error. FuzzDecodeVote holds the two together.
func DecodeVote(body []byte, req *Vote) error {
	s := voteScanner{b: body}
	if s.request(req) {
		return nil
	}
	*req = Vote{}
	return DecodeStrict(body, req)
}

// voteScanner reads the JSON of a vote by hand; each method reports false for what it does not
// take, and the caller then leaves the body to encoding/json.
type voteScanner struct {
	b []byte
	i int
}

func (s *voteScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// take takes c, after white space.
func (s *voteScanner) take(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// literal takes word (null, true, false), after white space.
func (s *voteScanner) literal(word string) bool {
	s.space()
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// str takes a string without escapes or control characters, in valid UTF-8.
func (s *voteScanner) str() (string, bool) {
	if !s.take('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return string(v), utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return "", false
		}
		s.i++
	}
	return "", false
}

// int takes an integer (-?(0|[1-9][0-9]*)) that fits an int64.
func (s *voteScanner) int() (int64, bool) {
	s.space()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i > digits+1) {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, err == nil
}

// object takes an object whose keys are among keys, each at most once, and reads each value with
// field.
func (s *voteScanner) object(keys []string, field func(k int) bool) bool {
	if !s.take('{') {
		return false
	}
	if s.take('}') {
		return true
	}
	var seen uint
	for {
		name, ok := s.str()
		if !ok || !s.take(':') {
			return false
		}
		k := 0
		for k < len(keys) && keys[k] != name {
			k++
		}
		if k == len(keys) || seen&(1<<k) != 0 || !field(k) {
			return false
		}
		seen |= 1 << k
		if s.take('}') {
			return true
		}
		if !s.take(',') {
			return false
		}
	}
}

var (
	voteKeys     = []string{"choices", "pow", "website", "client"}
	solutionKeys = []string{"algorithm", "challenge", "number", "salt", "signature"}
	clientKeys   = []string{"webdriver", "elapsed_ms"}
)

// request takes a whole body: one vote object and nothing after it but white space.
func (s *voteScanner) request(req *Vote) bool {
	ok := s.object(voteKeys, func(k int) bool {
		switch k {
		case 0:
			return s.choices(req)
		case 1:
			return s.literal("null") || s.solution(req)
		case 2:
			return s.orNull(&req.Website)
		default:
			return s.literal("null") || s.client(req)
		}
	})
	s.space()
	return ok && s.i == len(s.b)
}

// orNull takes a string into v, or null (v unchanged, as encoding/json leaves it).
func (s *voteScanner) orNull(v *string) bool {
	if s.literal("null") {
		return true
	}
	str, ok := s.str()
	*v = str
	return ok
}

func (s *voteScanner) choices(req *Vote) bool {
	if s.literal("null") {
		req.Choices = nil
		return true
	}
	if !s.take('[') {
		return false
	}
	req.Choices = make([]string, 0, 1)
	if s.take(']') {
		return true
	}
	for {
		c, ok := s.str()
		if !ok {
			return false
		}
		req.Choices = append(req.Choices, c)
		if s.take(']') {
			return true
		}
		if !s.take(',') {
			return false
		}
	}
}

func (s *voteScanner) solution(req *Vote) bool {
	sol := &access.Solution{}
	req.Pow = sol
	return s.object(solutionKeys, func(k int) bool {
		switch k {
		case 0:
			return s.orNull(&sol.Algorithm)
		case 1:
			return s.orNull(&sol.Challenge)
		case 2:
			if s.literal("null") {
				return true
			}
			n, ok := s.int()
			sol.Number = n
			return ok
		case 3:
			return s.orNull(&sol.Salt)
		default:
			return s.orNull(&sol.Signature)
		}
	})
}

func (s *voteScanner) client(req *Vote) bool {
	cr := &Client{}
	req.Client = cr
	return s.object(clientKeys, func(k int) bool {
		if s.literal("null") {
			return true
		}
		if k == 1 {
			n, ok := s.int()
			cr.ElapsedMS = n
			return ok
		}
		switch {
		case s.literal("true"):
			cr.Webdriver = true
		case s.literal("false"):
			cr.Webdriver = false
		default:
			return false
		}
		return true
	})
}
