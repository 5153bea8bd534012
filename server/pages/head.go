package pages

import (
	"bytes"
	"html"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Live serves the live page (live.html) of the poll the server found for :poll, with its lang,
// dir and share tags.
func (pg *Pages) Live() fiber.Handler {
	page := pg.shell("live.html")
	return func(c *fiber.Ctx) error {
		pageHeaders(c)
		p := pg.cfg.PollOf(c)
		lang := pageLanguage(c, p)
		tags, err := pg.shareTags(c, p, lang, "live")
		if err != nil {
			pg.cfg.Logger.Warn("live page without its share tags", "err", err)
			return page.send(c)
		}
		open, head := pg.pageHead(lang, tags, nil)
		return sendPage(c, page, open, head)
	}
}

// shell is the page in file name, which the server writes into (pageHead): it panics when the
// file is missing, or has no htmlTag or </head>.
func (pg *Pages) shell(name string) *asset {
	page := pg.file(name)
	if !bytes.Contains(page.body, htmlTag) || !bytes.Contains(page.body, []byte("</head>")) {
		panic("pages: embedded page " + name + " without <html lang=\"en\"> or </head>")
	}
	return page
}

// htmlTag is how every page's file opens its html element; the server writes the page's own.
var htmlTag = []byte(`<html lang="en">`)

// pageHead is what the server writes into a page for language lang: its html element, and before
// </head> the catalogue's preload (unless English, which every page loads), the share tags and
// extra.
func (pg *Pages) pageHead(lang, tags string, extra []byte) (open, head []byte) {
	open = []byte(`<html lang="` + html.EscapeString(lang) + `" dir="` + pg.catalogue(lang).Dir + `">`)
	if name := catalogueName(pg.assets, lang); name != "lang-en.js" {
		head = append(head, `<link rel="modulepreload" href="/static/`+name+`">`+"\n"...)
	}
	head = append(head, tags...)
	return open, append(head, extra...)
}

// sendPage answers page with its html element replaced by open and head written before </head>;
// never cached (it depends on the request's language and the poll's state).
func sendPage(c *fiber.Ctx, page *asset, open, head []byte) error {
	i, j := bytes.Index(page.body, htmlTag), bytes.Index(page.body, []byte("</head>"))
	body := make([]byte, 0, len(page.body)+len(open)+len(head))
	body = append(body, page.body[:i]...)
	body = append(body, open...)
	body = append(body, page.body[i+len(htmlTag):j]...)
	body = append(body, head...)
	body = append(body, page.body[j:]...)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentType, page.contentType)
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		body = fasthttp.AppendGzipBytesLevel(nil, body, fasthttp.CompressBestSpeed)
	}
	return c.Send(body)
}
