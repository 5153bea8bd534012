package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// The pages speak the languages of their poll (vote.Poll.Languages): their own sentences come from
// one catalogue per language, static/lang-{tag}.js, and the ballot's texts from the ballot file.
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

// rtl are the primary subtags of the languages written right to left.
var rtl = []string{"ar", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}

// direction is the writing direction of language tag: "rtl" or "ltr".
func direction(tag string) string {
	if slices.Contains(rtl, primary(tag)) {
		return "rtl"
	}
	return "ltr"
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
