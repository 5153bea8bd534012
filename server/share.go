package server

import (
	"bytes"
	"html"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
	"github.com/valyala/fasthttp"
)

// A link to the ballot or to the live page, shared in a chat or a social network, shows a preview:
// both pages carry Open Graph and Twitter card tags in the link's language (?lang=, else the
// browser's), and the image is one livevote draws (GET /share/{poll}.png?lang=): the poll's title
// and the QR code of the ballot; once the results are revealed, the winner. The image shows the
// tally only when the public API does (revealed): never ahead of the night.

// shareTags are the preview tags of page ("vote" or "live") of poll p in language lang, for a
// request c (the absolute addresses come from LIVEVOTE_PUBLIC_URL, else from c as for the QR code).
func (s *server) shareTags(c *fiber.Ctx, p *vote.Poll, lang, page string) (string, error) {
	ballot, err := s.ballotURL(c, p)
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(ballot, "/vote/"+url.PathEscape(p.ID))
	st, err := s.states.get(c.UserContext(), p)
	if err != nil {
		return "", err
	}
	q := "?lang=" + url.QueryEscape(lang)
	cat := s.catalogue(lang)
	title, desc := p.Title.In(lang, p.Languages[0]), p.Description.In(lang, p.Languages[0])
	alt := strings.ReplaceAll(cat.Share["alt"], "{title}", title)
	// The winner only once the stage has shown the whole result (the rule of winners), and the
	// image's address says so, so that caches fetch the image with the winner then.
	final := vote.Snapshot{State: st, At: s.now()}.PublicFinal()
	if final {
		if w, err := s.winners(c, p); err == nil && len(w) > 0 {
			names := make([]string, len(w))
			for i, c := range w {
				names[i] = c.City.In(lang, p.Languages[0]) + " · " + c.Initiative.In(lang, p.Languages[0])
			}
			alt = strings.ReplaceAll(strings.ReplaceAll(cat.Share["alt_winner"], "{title}", title), "{winner}", strings.Join(names, "; "))
		}
	}
	results := string(st.Results)
	if st.Results == vote.ResultsRevealed && !final {
		results = "revealing" // the stage has not shown the winner yet: no winner in the image
	}
	image := base + "/share/" + url.PathEscape(p.ID) + ".png" + q + "&results=" + results // a new image once the winner is shown
	var b strings.Builder
	tag := func(attr, name, content string) {
		b.WriteString(`<meta ` + attr + `="` + name + `" content="` + html.EscapeString(content) + `">` + "\n")
	}
	tag("name", "description", desc)
	tag("property", "og:type", "website")
	tag("property", "og:site_name", "livevote")
	tag("property", "og:title", title)
	tag("property", "og:description", desc)
	tag("property", "og:url", base+"/"+page+"/"+url.PathEscape(p.ID)+q)
	tag("property", "og:image", image)
	tag("property", "og:image:type", "image/png")
	tag("property", "og:image:width", "1200")
	tag("property", "og:image:height", "630")
	tag("property", "og:image:alt", alt)
	tag("property", "og:locale", strings.ReplaceAll(cat.Locale, "-", "_"))
	for _, l := range p.Languages {
		if l != lang {
			tag("property", "og:locale:alternate", strings.ReplaceAll(s.catalogue(l).Locale, "-", "_"))
		}
	}
	tag("name", "twitter:card", "summary_large_image")
	tag("name", "twitter:title", title)
	tag("name", "twitter:description", desc)
	tag("name", "twitter:image", image)
	tag("name", "twitter:image:alt", alt)
	return b.String(), nil
}

// winners are the candidates with the most counted ballots (several in a tie; none before any).
// Only once the stage has shown the whole revealed result (vote.Snapshot.PublicFinal: the rule
// of the results API, never ahead of the stage).
func (s *server) winners(c *fiber.Ctx, p *vote.Poll) ([]vote.Candidate, error) {
	snap, err := s.store.Snapshot(c.UserContext(), p, s.now())
	if err != nil || !snap.PublicFinal() {
		return nil, err
	}
	places := vote.Places(snap.Tally)
	if len(places) == 0 || snap.Tally[places[len(places)-1][0]] == 0 {
		return nil, nil
	}
	top := places[len(places)-1]
	var out []vote.Candidate
	for _, cand := range p.Candidates { // in the ballot's order
		if slices.Contains(top, cand.ID) {
			out = append(out, cand)
		}
	}
	return out, nil
}

// handleShareImage answers the share image of the poll (PNG, 1200x630) in the language of the
// link (?lang=, else Accept-Language) when the Go fonts can write it, else in the poll's first
// language they can (previewimage.go). Images are drawn once per poll, language, ballot address
// and winners.
func (s *server) handleShareImage() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		lang := pageLanguage(c, p)
		ballot, err := s.ballotURL(c, p)
		if err != nil {
			return err
		}
		st, err := s.states.get(c.UserContext(), p)
		if err != nil {
			return err
		}
		var winners []vote.Candidate
		if st.Results == vote.ResultsRevealed {
			if winners, err = s.winners(c, p); err != nil {
				return err
			}
		}
		drawIn := lang
		for _, l := range append([]string{lang}, p.Languages...) {
			if s.canDraw(p, l, winners) {
				drawIn = l
				break
			}
		}
		pv := preview{
			Title: p.Title.In(drawIn, p.Languages[0]), URL: ballot + "?lang=" + url.QueryEscape(lang),
			Scan: s.catalogue(drawIn).Share["scan"], Background: p.Branding.Background, Accent: p.Branding.Accent,
		}
		if len(winners) > 0 {
			pv.Kicker = s.catalogue(drawIn).Share[map[bool]string{true: "winners", false: "winner"}[len(winners) > 1]]
			for _, w := range winners {
				pv.Winners = append(pv.Winners, [2]string{w.City.In(drawIn, p.Languages[0]), w.Initiative.In(drawIn, p.Languages[0])})
			}
		}
		png, err := s.images.get(pv, s.fonts.draw)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "image/png")
		c.Set(fiber.HeaderCacheControl, "public, max-age=60")
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set("Content-Language", drawIn)
		return c.Send(png)
	}
}

// canDraw reports whether the share image of p can be written in language l.
func (s *server) canDraw(p *vote.Poll, l string, winners []vote.Candidate) bool {
	if !slices.Contains(p.Languages, l) {
		return false
	}
	sh := s.catalogue(l).Share
	texts := []string{p.Title[l], sh["scan"], sh["winner"], sh["winners"]}
	for _, w := range winners {
		texts = append(texts, w.City[l], w.Initiative[l])
	}
	return s.fonts.drawable(texts...)
}

// previewCache keeps the share images drawn, at most previewCacheSize (then it starts again): a
// crawler's requests draw nothing new.
type previewCache struct {
	mu     sync.Mutex
	images map[string][]byte
}

const previewCacheSize = 64

func newPreviewCache() *previewCache { return &previewCache{images: map[string][]byte{}} }

// get returns the image of pv, drawing it with draw the first time.
func (pc *previewCache) get(pv preview, draw func(preview) ([]byte, error)) ([]byte, error) {
	key := pv.Title + "\x00" + pv.URL + "\x00" + pv.Scan + "\x00" + pv.Kicker + "\x00" + pv.Background + pv.Accent
	for _, w := range pv.Winners {
		key += "\x00" + w[0] + "\x00" + w[1]
	}
	pc.mu.Lock()
	img, ok := pc.images[key]
	pc.mu.Unlock()
	if ok {
		return img, nil
	}
	img, err := draw(pv)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	if len(pc.images) >= previewCacheSize {
		clear(pc.images)
	}
	pc.images[key] = img
	pc.mu.Unlock()
	return img, nil
}

// handleLivePage serves the live page (live.html) of the poll withPollPage found for :poll, with
// its lang, dir and share tags.
func (s *server) handleLivePage() fiber.Handler {
	page := s.assets["live.html"]
	if page == nil || !bytes.Contains(page.body, htmlTag) || !bytes.Contains(page.body, []byte("</head>")) {
		panic("server: embedded live page missing, or without <html lang=\"en\"> or </head>")
	}
	return func(c *fiber.Ctx) error {
		pageHeaders(c)
		p := pollOf(c)
		lang := pageLanguage(c, p)
		tags, err := s.shareTags(c, p, lang, "live")
		if err != nil {
			s.log.Warn("live page without its share tags", "err", err)
			return page.send(c)
		}
		open, head := s.pageHead(lang, tags, nil)
		return sendPage(c, page, open, head)
	}
}

// htmlTag is how every page's file opens its html element; the server writes the page's own.
var htmlTag = []byte(`<html lang="en">`)

// pageHead is what the server writes into a page for language lang: its html element, and before
// </head> the catalogue's preload (unless English, which every page loads), the share tags and
// extra.
func (s *server) pageHead(lang, tags string, extra []byte) (open, head []byte) {
	open = []byte(`<html lang="` + html.EscapeString(lang) + `" dir="` + s.catalogue(lang).Dir + `">`)
	if name := catalogueName(s.assets, lang); name != "lang-en.js" {
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
