package pow_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/livevote/livevote/internal/pow"
)

func TestDigest(t *testing.T) {
	sum := sha256.Sum256([]byte("abc?poll=p1234"))
	if got, want := pow.Digest("abc?poll=p", 1234), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Digest = %s, want %s", got, want)
	}
}

func TestSolve(t *testing.T) {
	salt, n := "abc?poll=p", int64(1234)
	ch := pow.Challenge{Algorithm: "SHA-256", Challenge: pow.Digest(salt, n), Salt: salt, MaxNumber: 5000, Signature: "sig"}
	sol, err := pow.Solve(ch)
	if err != nil {
		t.Fatal(err)
	}
	want := pow.Solution{Algorithm: "SHA-256", Challenge: ch.Challenge, Number: n, Salt: salt, Signature: "sig"}
	if sol != want {
		t.Errorf("Solve = %+v, want %+v", sol, want)
	}
	b, _ := json.Marshal(sol)
	if got := `{"algorithm":"SHA-256","challenge":"` + ch.Challenge + `","number":1234,"salt":"abc?poll=p","signature":"sig"}`; string(b) != got {
		t.Errorf("the pow object is %s, want %s", b, got)
	}

	for name, bad := range map[string]pow.Challenge{
		"number over max_number": {Algorithm: "SHA-256", Challenge: ch.Challenge, Salt: salt, MaxNumber: 1000},
		"not a digest":           {Algorithm: "SHA-256", Challenge: "abc", Salt: salt, MaxNumber: 5000},
		"another algorithm":      {Algorithm: "SHA-512", Challenge: ch.Challenge, Salt: salt, MaxNumber: 5000},
	} {
		if _, err := pow.Solve(bad); err == nil {
			t.Errorf("%s: solved", name)
		}
	}
	if (pow.Challenge{Algorithm: "none"}).Required() || !ch.Required() {
		t.Error("Required is wrong")
	}
}
