package server

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// The faults of a client's HTTP that the API's handlers never see: a method Fiber does not know
// (its router answers those in plain text before any handler) and a Host that is not a host.

// guardMethods makes app answer a request whose method Fiber does not know with the API's JSON
// error: 405 method_not_allowed for a well-formed method token, 400 invalid_request otherwise.
// Call it after fiber.New: it wraps the handler New installed on the fasthttp server.
func guardMethods(app *fiber.App, obs Observer) {
	srv := app.Server()
	next := srv.Handler
	handle := app.Config().ErrorHandler
	srv.Handler = func(fctx *fasthttp.RequestCtx) {
		m := fctx.Method()
		if knownMethod(m) {
			next(fctx)
			return
		}
		err := errMethodNotAllowed
		if !isToken(m) {
			err = errInvalidRequest
		}
		c := app.AcquireCtx(fctx)
		defer app.ReleaseCtx(c)
		_ = handle(c, err)
		obs.Request("", "other", c.Response().StatusCode(), 0)
	}
}

// knownMethod reports whether Fiber routes method (one of fiber.DefaultMethods).
func knownMethod(method []byte) bool {
	for _, m := range fiber.DefaultMethods {
		if string(method) == m {
			return true
		}
	}
	return false
}

// isToken reports whether s is an HTTP token (RFC 9110, 5.6.2), as a method must be.
func isToken(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, b := range s {
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, b) >= 0 {
			return false
		}
	}
	return true
}

// checkHost refuses, with 400 invalid_host, a request whose Host header is present and is not a
// host (validHost): the Host ends up in the QR code of the ballot when LIVEVOTE_PUBLIC_URL is not
// set, and nothing else has a use for a malformed one.
func checkHost() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if h := c.Request().Header.Host(); len(h) > 0 && !validHost(string(h)) {
			return errBadHost
		}
		return c.Next()
	}
}

// maxHostName is the longest DNS name (RFC 1035) without its trailing dot.
const maxHostName = 253

// validHost reports whether h is a host as the Host header carries it (RFC 9110, 7.2): a DNS
// name (letters, digits, hyphens and, as some internal names have them, underscores; labels of
// 1 to 63, at most 253 in all, an optional final dot), an IPv4 address, or an IPv6 address in
// brackets without a zone; then optionally ":" and a port of 1 to 65535.
func validHost(h string) bool {
	host := h
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		host = h[:i]
		if n, err := strconv.Atoi(h[i+1:]); err != nil || n < 1 || n > 65535 || h[i+1] == '+' {
			return false
		}
	}
	if ip, ok := strings.CutPrefix(host, "["); ok {
		ip, ok = strings.CutSuffix(ip, "]")
		a, err := netip.ParseAddr(ip)
		return ok && err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4()
	}
	return validHostName(host)
}

// validHostName reports whether s is a DNS name as validHost allows it.
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > maxHostName {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			b := label[i]
			if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
				return false
			}
		}
	}
	return true
}
