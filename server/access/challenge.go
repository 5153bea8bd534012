package access

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/livevote/livevote/vote"
)

// ChallengeTTL is how long a proof-of-work challenge may be solved and used.
const ChallengeTTL = 10 * time.Minute

// Challenge is a proof-of-work challenge in the ALTCHA scheme, as sent to the client.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge,omitempty"`
	Salt      string `json:"salt,omitempty"`
	MaxNumber int    `json:"max_number,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// Solution is what the client sends back with its vote.
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int64  `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// NewChallenge makes a challenge of the given difficulty bound to one poll and one voter. The salt
// carries the binding, the expiry and the difficulty in the clear; the signature keeps them honest.
func (k Keys) NewChallenge(poll, voterKey string, difficulty int, now time.Time) Challenge {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(difficulty)+1))
	params := url.Values{
		"poll":    {poll},
		"voter":   {voterKey[:16]},
		"max":     {strconv.Itoa(difficulty)},
		"expires": {strconv.FormatInt(now.Add(ChallengeTTL).Unix(), 10)},
	}
	salt := rand.Text()[:16] + "?" + params.Encode()
	challenge := sha256Hex(salt + n.String())
	return Challenge{
		Algorithm: "SHA-256",
		Challenge: challenge,
		Salt:      salt,
		MaxNumber: difficulty,
		Signature: hex.EncodeToString(k.challenge.sum(salt, challenge)),
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// proof is a vote's proof of work as the server checks it (vote.Proof): a solution of one of its
// signed challenges.
type proof struct {
	keys Keys
	sol  *Solution
}

// Proof is the proof of work of a vote that sent sol (nil: none), for vote.Request.Proof.
func (k Keys) Proof(sol *Solution) vote.Proof { return proof{keys: k, sol: sol} }

// Check implements vote.Proof.
func (pr proof) Check(p *vote.Poll, voterKey string, difficulty int, now time.Time) (vote.Challenge, bool) {
	until, ok := pr.keys.verify(pr.sol, p.ID, voterKey, difficulty, now)
	if !ok {
		return vote.Challenge{}, false
	}
	// issued to the second: the challenge keeps its expiry in Unix seconds
	return vote.Challenge{ID: pr.sol.Challenge, Issued: until.Add(-ChallengeTTL), Expires: until}, true
}

// verify checks a solution for this poll, voter and current difficulty at now, and returns when
// the challenge expires. It does not know whether the challenge was used before: the store does.
func (k Keys) verify(s *Solution, poll, voterKey string, difficulty int, now time.Time) (time.Time, bool) {
	if s == nil || s.Algorithm != "SHA-256" || s.Number < 0 || len(s.Salt) > 512 {
		return time.Time{}, false
	}
	sig, err := hex.DecodeString(s.Signature)
	if err != nil || !hmac.Equal(sig, k.challenge.sum(s.Salt, s.Challenge)) {
		return time.Time{}, false
	}
	if sha256Hex(s.Salt+strconv.FormatInt(s.Number, 10)) != s.Challenge {
		return time.Time{}, false
	}
	_, query, _ := strings.Cut(s.Salt, "?")
	params, err := url.ParseQuery(query)
	if err != nil || params.Get("poll") != poll || params.Get("voter") != voterKey[:16] {
		return time.Time{}, false
	}
	max, err := strconv.Atoi(params.Get("max"))
	if err != nil || max < difficulty || s.Number > int64(max) {
		return time.Time{}, false
	}
	exp, err := strconv.ParseInt(params.Get("expires"), 10, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return time.Time{}, false
	}
	return time.Unix(exp, 0), true
}
