// Package pow solves livevote's proof-of-work challenges (docs/API.md: the ALTCHA scheme, SHA-256) as
// a client must: by search, knowing only what the challenge says. The load tool and the tests
// use it; the server makes and checks challenges on its own (server/access/challenge.go), so a mistake
// here cannot hide one there.
package pow

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// Algorithm is the one hash the server asks for; a challenge of algorithm "none" asks for no work.
const Algorithm = "SHA-256"

// Challenge is the body of GET /api/v1/polls/{poll}/challenge.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge,omitempty"`
	Salt      string `json:"salt,omitempty"`
	MaxNumber int64  `json:"max_number,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// Required reports whether the challenge asks for work (false for algorithm "none").
func (c Challenge) Required() bool { return c.Algorithm != "none" }

// Solution is the "pow" object of a vote: the challenge echoed with the number found.
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int64  `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Digest is the challenge of the answer n under salt: hex(SHA-256(salt + decimal n)).
func Digest(salt string, n int64) string {
	sum := sha256.Sum256(strconv.AppendInt([]byte(salt), n, 10))
	return hex.EncodeToString(sum[:])
}

// Solve finds the number n in [0, max_number] with Digest(salt, n) == challenge. It fails when
// the challenge is not a SHA-256 digest or no number up to max_number answers it. It does not
// call for a challenge of algorithm "none" (see Required); the caller sends no pow then.
func Solve(c Challenge) (Solution, error) {
	if c.Algorithm != Algorithm {
		return Solution{}, fmt.Errorf("pow: algorithm %q, want %s", c.Algorithm, Algorithm)
	}
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size {
		return Solution{}, fmt.Errorf("pow: challenge %q is not a SHA-256 hex digest", c.Challenge)
	}
	buf := []byte(c.Salt)
	for n := int64(0); n <= c.MaxNumber; n++ {
		if sum := sha256.Sum256(strconv.AppendInt(buf, n, 10)); bytes.Equal(sum[:], want) {
			return Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature}, nil
		}
	}
	return Solution{}, fmt.Errorf("pow: challenge has no solution up to %d", c.MaxNumber)
}
