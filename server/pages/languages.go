package pages

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// The pages speak the languages of their poll (vote.Poll.Languages): their own sentences come from
// one catalogue per language, static/lang/lang-{tag}.js, and the ballot's texts from the ballot file.
// The browser picks the visitor's language (common.js); the server picks the same way for what it
// writes itself (the ballot page's lang and dir, and its share preview): ?lang= first, else
// Accept-Language.

// catalogueName is the asset of the catalogue for language tag: its own, else its primary
// subtag's (pt-BR finds lang-pt.js); "" when the pages have neither.
func catalogueName(assets map[string]*asset, tag string) string {
	for _, t := range []string{tag, primary(tag)} {
		if name := "lang-" + t + ".js"; assets[name] != nil {
			return name
		}
	}
	return ""
}

// primary is the primary language subtag of tag, in lowercase: "zh" of "zh-Hant".
func primary(tag string) string {
	p, _, _ := strings.Cut(tag, "-")
	return strings.ToLower(p)
}

// checkLanguages refuses a poll in a language the pages have no catalogue for: its voters would
// read the page's own sentences in another language, and nobody would notice before the night.
func checkLanguages(polls []*vote.Poll, assets map[string]*asset) error {
	var have []string
	for name := range assets {
		if t, ok := strings.CutPrefix(name, "lang-"); ok {
			have = append(have, strings.TrimSuffix(t, ".js"))
		}
	}
	slices.Sort(have)
	for _, p := range polls {
		for _, l := range p.Languages {
			if catalogueName(assets, l) == "" {
				return fmt.Errorf("poll %s: languages: the pages have no sentences in %q (they have %s)", p.ID, l, strings.Join(have, ", "))
			}
		}
	}
	return nil
}

// catalogue is the catalogue of language tag (one of a poll's: the server checked it has one).
func (pg *Pages) catalogue(tag string) *catalogue {
	if c := pg.cats[catalogueName(pg.assets, tag)]; c != nil {
		return c
	}
	return pg.cats["lang-en.js"]
}

// pageLanguage is the language of p that a request asks for: ?lang= when p has it (a shared link
// keeps its language), else the best of Accept-Language (by q, exact tag first, then primary
// subtag), else p's first language.
func pageLanguage(c *fiber.Ctx, p *vote.Poll) string {
	if l := c.Query("lang"); l != "" {
		if m := matchLanguage(p.Languages, l); m != "" {
			return m
		}
	}
	return bestLanguage(p.Languages, c.Get(fiber.HeaderAcceptLanguage))
}

// bestLanguage is the language of offered that an Accept-Language header prefers most, else
// offered[0].
func bestLanguage(offered []string, accept string) string {
	best, bestQ := offered[0], 0.0
	for part := range strings.SplitSeq(accept, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if m := matchLanguage(offered, tag); m != "" && q > bestQ {
			best, bestQ = m, q
		}
	}
	return best
}

// matchLanguage is the language of offered that tag names: the same tag (any case), else the
// same primary subtag; "" when none.
func matchLanguage(offered []string, tag string) string {
	tag = strings.TrimSpace(tag)
	if tag == "" || tag == "*" {
		return ""
	}
	for _, l := range offered {
		if strings.EqualFold(l, tag) {
			return l
		}
	}
	for _, l := range offered {
		if primary(l) == primary(tag) {
			return l
		}
	}
	return ""
}

// catalogue is what the server reads of a page catalogue (static/lang/lang-{tag}.js, whose object is
// written as JSON): its locale, its direction and the sentences of the share preview.
type catalogue struct {
	Locale string            `json:"locale"`
	Dir    string            `json:"dir"`
	Share  map[string]string `json:"share"`
}

// shareKeys are the sentences of a share preview every catalogue must have.
var shareKeys = []string{"scan", "winner", "winners", "alt", "alt_winner"}

// loadCatalogues reads the catalogues among assets, by asset name.
func loadCatalogues(assets map[string]*asset) (map[string]*catalogue, error) {
	out := map[string]*catalogue{}
	for name, a := range assets {
		if !strings.HasPrefix(name, "lang-") || !strings.HasSuffix(name, ".js") {
			continue
		}
		_, obj, ok := strings.Cut(string(a.body), "export default ")
		var c catalogue
		if !ok || json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(obj), ";")), &c) != nil {
			return nil, fmt.Errorf("pages: %s: the catalogue must be `export default {JSON};`", name)
		}
		if c.Locale == "" || (c.Dir != "ltr" && c.Dir != "rtl") {
			return nil, fmt.Errorf("pages: %s: locale %q, dir %q", name, c.Locale, c.Dir)
		}
		for _, k := range shareKeys {
			if c.Share[k] == "" {
				return nil, fmt.Errorf("pages: %s: no share.%s", name, k)
			}
		}
		out[name] = &c
	}
	return out, nil
}
