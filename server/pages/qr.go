package pages

import (
	"bytes"
	"fmt"
	"html"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
	qrcode "github.com/skip2/go-qrcode"
)

// QR answers the QR code of the poll's ballot URL as SVG, for the big screen. The ballot URL
// is LIVEVOTE_PUBLIC_URL + "/vote/{poll}", or else the URL this request came to; the SVG carries
// it in its data-url attribute and its title, so that the screen can print it under the code.
func (pg *Pages) QR() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pg.cfg.PollOf(c)
		u, err := pg.ballotURL(c, p)
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
// in front sets Host (nginx: proxy_set_header Host $host). No Host is ErrBadHost; a Host that is
// not a host never comes this far (the server answers it 400 invalid_host on every route).
func (pg *Pages) ballotURL(c *fiber.Ctx, p *vote.Poll) (string, error) {
	base := strings.TrimRight(pg.cfg.PublicURL, "/")
	if base == "" {
		scheme, host := "http", string(c.Request().Header.Host())
		if c.Context().IsTLS() {
			scheme = "https"
		}
		peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		if pg.cfg.Proxies.Trusted(peer.Unmap()) {
			if v := firstValue(c.Get(fiber.HeaderXForwardedProto)); v == "https" || v == "http" {
				scheme = v
			}
		}
		if host == "" {
			return "", ErrBadHost
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
