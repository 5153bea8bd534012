package pages

import (
	"html"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// A link to the ballot or to the live page, shared in a chat or a social network, shows a preview:
// both pages carry Open Graph and Twitter card tags in the link's language (?lang=, else the
// browser's), and the image is one livevote draws (GET /share/{poll}.png?lang=): the poll's title
// and the QR code of the ballot; once the results are revealed, the winner. The image shows the
// tally only when the public API does (revealed): never ahead of the night.

// shareTags are the preview tags of page ("vote" or "live") of poll p in language lang, for a
// request c (the absolute addresses come from LIVEVOTE_PUBLIC_URL, else from c as for the QR code).
func (pg *Pages) shareTags(c *fiber.Ctx, p *vote.Poll, lang, page string) (string, error) {
	ballot, err := pg.ballotURL(c, p)
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(ballot, "/vote/"+url.PathEscape(p.ID))
	st, err := pg.cfg.API.State(c.UserContext(), p)
	if err != nil {
		return "", err
	}
	q := "?lang=" + url.QueryEscape(lang)
	cat := pg.catalogue(lang)
	title, desc := p.Title.In(lang, p.Languages[0]), p.Description.In(lang, p.Languages[0])
	alt := strings.ReplaceAll(cat.Share["alt"], "{title}", title)
	// The winner only once the stage has shown the whole result (the rule of winners), and the
	// image's address says so, so that caches fetch the image with the winner then.
	final := vote.Snapshot{State: st, At: pg.cfg.Now()}.PublicFinal()
	if final {
		if w, err := pg.winners(c, p); err == nil && len(w) > 0 {
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
			tag("property", "og:locale:alternate", strings.ReplaceAll(pg.catalogue(l).Locale, "-", "_"))
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
func (pg *Pages) winners(c *fiber.Ctx, p *vote.Poll) ([]vote.Candidate, error) {
	snap, err := pg.cfg.API.Snapshot(c.UserContext(), p, pg.cfg.Now())
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

// ShareImage answers the share image of the poll (PNG, 1200x630) in the language of the
// link (?lang=, else Accept-Language) when the Go fonts can write it, else in the poll's first
// language they can (previewimage.go). Images are drawn once per poll, language, ballot address
// and winners.
func (pg *Pages) ShareImage() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pg.cfg.PollOf(c)
		lang := pageLanguage(c, p)
		ballot, err := pg.ballotURL(c, p)
		if err != nil {
			return err
		}
		st, err := pg.cfg.API.State(c.UserContext(), p)
		if err != nil {
			return err
		}
		var winners []vote.Candidate
		if st.Results == vote.ResultsRevealed {
			if winners, err = pg.winners(c, p); err != nil {
				return err
			}
		}
		drawIn := lang
		for _, l := range append([]string{lang}, p.Languages...) {
			if pg.canDraw(p, l, winners) {
				drawIn = l
				break
			}
		}
		pv := preview{
			Title: p.Title.In(drawIn, p.Languages[0]), URL: ballot + "?lang=" + url.QueryEscape(lang),
			Scan: pg.catalogue(drawIn).Share["scan"], Background: p.Branding.Background, Accent: p.Branding.Accent,
		}
		if len(winners) > 0 {
			pv.Kicker = pg.catalogue(drawIn).Share[map[bool]string{true: "winners", false: "winner"}[len(winners) > 1]]
			for _, w := range winners {
				pv.Winners = append(pv.Winners, [2]string{w.City.In(drawIn, p.Languages[0]), w.Initiative.In(drawIn, p.Languages[0])})
			}
		}
		png, err := pg.images.get(pv, pg.fonts.draw)
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
func (pg *Pages) canDraw(p *vote.Poll, l string, winners []vote.Candidate) bool {
	if !slices.Contains(p.Languages, l) {
		return false
	}
	sh := pg.catalogue(l).Share
	texts := []string{p.Title[l], sh["scan"], sh["winner"], sh["winners"]}
	for _, w := range winners {
		texts = append(texts, w.City[l], w.Initiative[l])
	}
	return pg.fonts.drawable(texts...)
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
