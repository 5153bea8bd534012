package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/livevote/livevote/server/access"
	"html"
	"io/fs"
	"mime"
	"net/netip"
	"net/url"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
	qrcode "github.com/skip2/go-qrcode"
)

// The web pages (package static) are plain files: every page is a shell that its JavaScript module
// fills from the public API and the live WebSocket. They are read and compressed once, at start.

// pageCSP keeps every page to its own origin: no third-party request can be made, no inline script
// runs. connect-src 'self' covers the page's own WebSocket (ws: and wss: on the same host).
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// asset is one embedded file ready to serve: its bytes, gzipped once, and its entity tag.
type asset struct {
	body, gzip  []byte
	contentType string
	etag        string
}

// loadAssets reads every file of fsys (a flat folder) and compresses it, and adds the module the
// server makes from its Go lists (codes.go).
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	out := make(map[string]*asset, len(entries)+1)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("pages: %w", err)
		}
		out[e.Name()] = newAsset(e.Name(), body)
	}
	if _, ok := out[codesModule]; ok {
		return nil, fmt.Errorf("pages: %s is made by the server: the static files must not hold one", codesModule)
	}
	out[codesModule] = newAsset(codesModule, codesJS())
	return out, nil
}

// newAsset makes the asset of the file name with the given content.
func newAsset(name string, body []byte) *asset {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	sum := sha256.Sum256(body)
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	a := &asset{body: body, contentType: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if gz.Len() < len(body) {
		a.gzip = gz.Bytes()
	}
	return a
}

// send answers the asset: 304 when the client holds this version (unless the answer is an error
// page), gzipped when the client takes it. Clients revalidate every time (no-cache): a new
// deployment is seen at the next load.
func (a *asset) send(c *fiber.Ctx) error {
	etag, body := a.etag, a.body
	gz := a.gzip != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip")
	if gz {
		etag, body = strings.TrimSuffix(a.etag, `"`)+`-gz"`, a.gzip
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	ok := c.Response().StatusCode() == fiber.StatusOK
	if match := c.Get(fiber.HeaderIfNoneMatch); ok && match != "" && strings.Contains(match, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	if gz {
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	return c.Send(body)
}

// handlePage serves one page (after withPollPage when the page is about the poll named by
// :poll). (The ballot has handleBallotPage.)
func (s *server) handlePage(name string) fiber.Handler {
	page := s.assets[name]
	if page == nil {
		panic("server: embedded page missing: " + name)
	}
	return func(c *fiber.Ctx) error {
		pageHeaders(c)
		return page.send(c)
	}
}

// pageHeaders sets the security headers of every page.
func pageHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
}

// handleAsset serves the pages' scripts, styles and images under /static/{name}.
func (s *server) handleAsset() fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, ok := s.assets[c.Params("name")]
		if !ok || strings.HasSuffix(c.Params("name"), ".html") {
			return fiber.ErrNotFound
		}
		if strings.HasSuffix(c.Params("name"), ".js") {
			// The proof-of-work Web Worker and the modules run under the page's policy.
			c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
		}
		return a.send(c)
	}
}

// handleQR answers the QR code of the poll's ballot URL as SVG, for the big screen. The ballot URL
// is LIVEVOTE_PUBLIC_URL + "/vote/{poll}", or else the URL this request came to; the SVG carries
// it in its data-url attribute and its title, so that the screen can print it under the code.
func (s *server) handleQR() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		u, err := s.ballotURL(c, p)
		if err != nil {
			return err
		}
		svg, err := qrSVG(u)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "image/svg+xml")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return c.Send(svg)
	}
}

// ballotURL is where voters find the poll's ballot. Without a configured public URL it is derived
// from the request: its Host, and https when the request came over TLS (or X-Forwarded-Proto
// says so, from a trusted proxy only). X-Forwarded-Host is never read, whoever sends it (issue 24:
// a proxy that passes a client's on would let the client name the host in the QR code); a proxy
// in front sets Host (nginx: proxy_set_header Host $host). A host that is not one (validHost), or
// none, is errBadHost.
func (s *server) ballotURL(c *fiber.Ctx, p *vote.Poll) (string, error) {
	base := strings.TrimRight(s.public, "/")
	if base == "" {
		scheme, host := "http", string(c.Request().Header.Host())
		if c.Context().IsTLS() {
			scheme = "https"
		}
		peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		if s.proxies.Trusted(peer.Unmap()) {
			if v := firstValue(c.Get(fiber.HeaderXForwardedProto)); v == "https" || v == "http" {
				scheme = v
			}
		}
		if !validHost(host) {
			return "", errBadHost
		}
		base = scheme + "://" + host
	}
	return base + "/vote/" + url.PathEscape(p.ID), nil
}

// firstValue is the first item of a comma-separated header value.
func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// qrSVG draws content as a QR code (error correction level M, with its quiet zone) in SVG, one
// path of horizontal runs of dark modules.
func qrSVG(content string) ([]byte, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	bits := q.Bitmap()
	n := len(bits)
	esc := html.EscapeString(content)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" data-url="%s">`, n, n, esc)
	fmt.Fprintf(&b, `<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, esc, n, n)
	for y, row := range bits {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			end := x
			for end < n && row[end] {
				end++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, end-x, end-x)
			x = end
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// ballotBoot is what the ballot page carries for its first paint, in a
// <script type="application/json" id="boot"> block: the poll as GET /api/v1/polls/{poll} answers
// it, the voter's own ballot as GET .../me does, and a proof-of-work challenge as GET .../challenge
// does (absent unless the poll is open and the voter has not voted). With it the ballot shows and
// the proof of work starts without another round trip on a slow network.
type ballotBoot struct {
	Poll      json.RawMessage   `json:"poll"` // a pollView, as pollViews keeps it
	Me        meView            `json:"me"`
	Challenge *access.Challenge `json:"challenge,omitempty"`

	poll *vote.Poll // the poll of the page
}

// handleBallotPage serves the ballot (vote.html) with its ballotBoot: for the poll withPollPage
// found for :poll, or at / (no poll of its own) for the first open poll (else the first poll). It gives a new voter the voter cookie, as GET /api/v1/polls/{poll} does. When
// the store cannot answer, the page goes out without its boot block and loads what it needs itself.
// The page is the voter's own: it is never cached.
func (s *server) handleBallotPage() fiber.Handler {
	page := s.assets["vote.html"]
	if page == nil || !bytes.Contains(page.body, htmlTag) || !bytes.Contains(page.body, []byte("</head>")) {
		panic("server: embedded ballot page missing, or without <html lang=\"en\"> or </head>")
	}
	return func(c *fiber.Ctx) error {
		pageHeaders(c)
		p := pollOf(c) // nil at /
		allowFraming(c, p)
		var voter string
		if p != nil && len(p.EmbedSites) > 0 && framedCrossSite(c) {
			voter = s.keys.EnsurePartitionedVoter(c)
		} else {
			voter = s.keys.EnsureVoter(c)
		}
		boot, err := s.ballotBoot(c.UserContext(), p, voter)
		if err != nil {
			s.log.Warn("ballot page without its boot block", "err", err)
			return page.send(c)
		}
		data, err := json.Marshal(boot) // escapes <, > and &: safe inside <script>
		if err != nil {
			return err
		}
		lang := pageLanguage(c, boot.poll)
		tags, err := s.shareTags(c, boot.poll, lang, "vote")
		if err != nil {
			s.log.Warn("ballot page without its share tags", "err", err)
		}
		block := append([]byte(`<script type="application/json" id="boot">`), data...)
		open, head := s.pageHead(lang, tags, append(block, "</script>\n"...))
		return sendPage(c, page, open, head)
	}
}

// ballotBoot gathers the ballot page's boot block for poll p (nil: the first open poll, else the
// first) and the voter with id.
func (s *server) ballotBoot(ctx context.Context, p *vote.Poll, voter string) (*ballotBoot, error) {
	if p == nil {
		p = s.order[0]
		for _, q := range s.order {
			st, err := s.states.get(ctx, q)
			if err != nil {
				return nil, err
			}
			if st.Status == vote.StatusOpen {
				p = q
				break
			}
		}
	}
	st, err := s.states.get(ctx, p)
	if err != nil {
		return nil, err
	}
	me, err := s.me(ctx, p, voter)
	if err != nil {
		return nil, err
	}
	view, err := s.views.get(p, st)
	if err != nil {
		return nil, err
	}
	b := &ballotBoot{Poll: view, Me: me, poll: p}
	if st.Status == vote.StatusOpen && !me.Voted {
		if st.Difficulty == 0 {
			b.Challenge = &access.Challenge{Algorithm: "none"}
		} else {
			ch := s.keys.NewChallenge(p.ID, s.keys.VoterKey(voter), st.Difficulty, s.now())
			b.Challenge = &ch
		}
	}
	return b, nil
}

// handleNotFound answers every path no route serves: a person's browser (one that accepts
// text/html) gets the "not found" page, anything else, and every path under /api/, the API's JSON
// error.
func (s *server) handleNotFound() fiber.Handler {
	missing := s.assets["notfound.html"]
	return func(c *fiber.Ctx) error {
		if strings.HasPrefix(c.Path(), "/api/") || !strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
			return errNotFound
		}
		pageHeaders(c)
		c.Status(fiber.StatusNotFound)
		return missing.send(c)
	}
}

// logoCSP keeps a logo inert when opened on its own: an SVG may carry script.
const logoCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// handleLogo serves the poll's logo from its ballot file (404 when it has none).
func (s *server) handleLogo() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		if p.Branding.Logo == nil {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentSecurityPolicy, logoCSP)
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderContentType, p.Branding.LogoType)
		return c.Send(p.Branding.Logo)
	}
}
