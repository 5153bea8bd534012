package server_test

import (
	"strings"
	"testing"

	"github.com/livevote/livevote/vote/memstore"
)

// TestEmbedHeaders covers framing: the ballot of a poll with embed_sites may be framed by those
// sites (and itself), nothing else may be framed by anyone; the ballot loaded in a cross-site frame
// gives a new voter a partitioned cookie, a top-level one the usual first-party cookie.
func TestEmbedHeaders(t *testing.T) {
	e := newEnv(t, memstore.New(), []string{`embed_sites: ["https://www.uclg.org", "https://*.metropolis.org"]`})
	ballot := "/vote/" + e.Poll.ID
	r := e.anonymous().get(ballot)
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://www.uclg.org https://*.metropolis.org") ||
		r.Header.Get("X-Frame-Options") != "" {
		t.Errorf("the ballot with embed sites: CSP %q, X-Frame-Options %q", csp, r.Header.Get("X-Frame-Options"))
	}
	if c := r.Header.Get("Set-Cookie"); !strings.Contains(c, "SameSite=Lax") || strings.Contains(c, "Partitioned") {
		t.Errorf("the ballot at the top level sets %q", c)
	}
	for _, path := range []string{"/", "/live/" + e.Poll.ID, "/screen/" + e.Poll.ID, "/receipt/x", "/organiser/" + e.Poll.ID} {
		r := e.anonymous().get(path)
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: CSP %q, X-Frame-Options %q: it must not be framed", path, csp, r.Header.Get("X-Frame-Options"))
		}
	}
	framed := e.anonymous().get(ballot, "Sec-Fetch-Dest", "iframe", "Sec-Fetch-Site", "cross-site")
	if c := framed.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "lv_voter=") || !strings.Contains(c, "; Secure; SameSite=None; Partitioned") || !strings.Contains(c, "HttpOnly") {
		t.Errorf("the ballot in a partner's frame sets %q", c)
	}

	plain := newEnv(t, memstore.New(), nil)
	r = plain.anonymous().get("/vote/"+plain.Poll.ID, "Sec-Fetch-Dest", "iframe", "Sec-Fetch-Site", "cross-site")
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || r.Header.Get("X-Frame-Options") != "DENY" ||
		strings.Contains(r.Header.Get("Set-Cookie"), "Partitioned") {
		t.Errorf("a ballot without embed sites: CSP %q, X-Frame-Options %q, cookie %q", csp, r.Header.Get("X-Frame-Options"), r.Header.Get("Set-Cookie"))
	}
}
