package access

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Fuzz targets for the inputs a stranger controls that this package reads: the voter cookie, the
// proof-of-work fields and X-Forwarded-For. Seeds: testdata/fuzz/<target> and the ones added here.

// FuzzVoterCookie reads arbitrary cookie values: only a value this deployment signed names a
// voter, the id it names is the value's own (at most 64 bytes, before the dot), and a
// deployment with another secret never accepts it.
func FuzzVoterCookie(f *testing.F) {
	k, other := NewKeys([]byte("s")), NewKeys([]byte("another secret"))
	_, good := k.NewVoter()
	for _, s := range []string{good, good + "x", "." + good, strings.Replace(good, ".", "..", 1), "abc.def", "",
		".", "a.", strings.Repeat("a", 65) + ".x", good[:len(good)-1], strings.ToUpper(good)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		id := k.VoterID(cookie)
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
		if other.VoterID(cookie) != "" {
			t.Fatalf("cookie %q accepted under another secret", cookie)
		}
	})
}

// FuzzProofOfWork verifies arbitrary solutions. Seeds start from a real solved challenge. A
// solution passes only when its signature is this deployment's for its salt and challenge, its
// number solves the challenge, and it is bound to this poll and voter and unexpired (another
// secret, poll or voter, or a later time, refuses it).
func FuzzProofOfWork(f *testing.F) {
	k := NewKeys([]byte("s"))
	now := time.Date(2023, 11, 20, 10, 0, 0, 0, time.UTC)
	voter := k.VoterKey("voter")
	ch := k.NewChallenge("p", voter, 50, now)
	var n int64
	for ; n <= 50 && sha256Hex(ch.Salt+itoa(n)) != ch.Challenge; n++ {
	}
	f.Add(ch.Algorithm, ch.Challenge, n, ch.Salt, ch.Signature)
	f.Add(ch.Algorithm, ch.Challenge, n+1, ch.Salt, ch.Signature)
	f.Add("SHA-1", ch.Challenge, n, ch.Salt, ch.Signature)
	f.Add(ch.Algorithm, ch.Challenge, int64(-1), ch.Salt+"&max=0", ch.Signature)
	f.Add(ch.Algorithm, "", int64(0), "", "")
	f.Add(ch.Algorithm, ch.Challenge, n, strings.Replace(ch.Salt, "max=50", "max=5", 1), ch.Signature)
	other := NewKeys([]byte("another secret"))
	f.Fuzz(func(t *testing.T, algorithm, challenge string, number int64, salt, signature string) {
		s := &Solution{Algorithm: algorithm, Challenge: challenge, Number: number, Salt: salt, Signature: signature}
		exp, ok := k.verify(s, "p", voter, 50, now)
		if !ok {
			return
		}
		if exp.Sub(now) <= 0 || exp.Sub(now) > ChallengeTTL {
			t.Fatalf("%+v accepted, expiring at %s", s, exp)
		}
		if sha256Hex(salt+itoa(number)) != challenge {
			t.Fatalf("%+v accepted without solving its challenge", s)
		}
		for what, refused := range map[string]bool{
			"another secret": func() bool { _, ok := other.verify(s, "p", voter, 50, now); return !ok }(),
			"another poll":   func() bool { _, ok := k.verify(s, "q", voter, 50, now); return !ok }(),
			"another voter":  func() bool { _, ok := k.verify(s, "p", k.VoterKey("other"), 50, now); return !ok }(),
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
	ps, err := ParseProxies([]string{"127.0.0.1", "10.0.0.0/8"})
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
		got := ps.ClientIP(c)
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("X-Forwarded-For %q: client %v", xff, got)
		}
		if got == peer {
			return
		}
		if ps.Trusted(got) {
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

// FuzzScreenToken feeds arbitrary strings to the screen token's check: it never panics, and what
// it accepts is exactly the token this deployment mints for that poll and expiry (no other
// spelling of one is accepted, so a screen token cannot be varied into another).
func FuzzScreenToken(f *testing.F) {
	k := NewKeys([]byte("fuzz secret"))
	now := time.Date(2023, 11, 20, 10, 0, 0, 0, time.UTC)
	f.Add(k.NewScreenToken("guangzhou-2023", now.Add(time.Hour)))
	f.Add(k.NewScreenToken("p", now.Add(-time.Hour)))
	f.Add("lvscreen1.cA.1700000000.AAAA")
	f.Add("lvscreen1...")
	f.Add("lvscreen1.cA.+1700478000.x")
	f.Fuzz(func(t *testing.T, token string) {
		poll, ok := k.ScreenPoll(token, now)
		if !ok {
			return
		}
		parts := strings.Split(token, ".")
		exp, err := strconv.ParseInt(parts[len(parts)-2], 10, 64)
		if err != nil || exp <= now.Unix() {
			t.Fatalf("%q accepted with the expiry %q", token, parts[len(parts)-2])
		}
		if want := k.NewScreenToken(poll, time.Unix(exp, 0)); token != want {
			t.Fatalf("%q accepted for poll %q; the token minted for it is %q", token, poll, want)
		}
	})
}
