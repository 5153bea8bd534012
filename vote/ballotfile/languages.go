package ballotfile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/livevote/livevote/vote"
)

// A poll's languages as the ballot file writes them:
//
//	languages: [en, zh, fr, es, ar]   # the first is the default; left out: [en, zh]
//	screen_languages: [zh, en]        # the big screen's two; left out: the first two
//
// Every text of the poll (title, description, and each candidate's city, country, initiative,
// summary and theme) then gives each of these languages: a required text (title, city, country,
// initiative, a theme that is there) in every one, an optional one (description, summary) in every
// one or in none. A text in a language the poll does not name is refused too: a translation the
// pages would never show is a mistake in the file.

// languages checks the poll's languages and the big screen's.
func (fp filePoll) languages() ([]string, []string, error) {
	langs := fp.Languages
	if langs == nil {
		langs = DefaultLanguages
	}
	if len(langs) == 0 {
		return nil, nil, fmt.Errorf("languages: at least one language is required")
	}
	for i, l := range langs {
		if !tagPattern.MatchString(l) {
			return nil, nil, fmt.Errorf("languages: %q is not a language tag (BCP 47, as en, zh, fr, pt-BR)", l)
		}
		if slices.Contains(langs[:i], l) {
			return nil, nil, fmt.Errorf("languages: %q named twice", l)
		}
	}
	screen := fp.ScreenLanguages
	if screen == nil {
		screen = langs[:min(2, len(langs))]
	}
	if len(screen) < 1 || len(screen) > 2 {
		return nil, nil, fmt.Errorf("screen_languages: %d languages; the big screen shows one or two", len(screen))
	}
	for _, l := range screen {
		if !slices.Contains(langs, l) {
			return nil, nil, fmt.Errorf("screen_languages: %q is not one of the poll's languages (%s)", l, strings.Join(langs, ", "))
		}
	}
	if len(screen) == 2 && screen[0] == screen[1] {
		return nil, nil, fmt.Errorf("screen_languages: %q named twice", screen[0])
	}
	return slices.Clone(langs), slices.Clone(screen), nil
}

// textCheck checks the texts of one poll or candidate against the poll's languages, and keeps the
// first error.
type textCheck struct {
	langs []string
	err   error
}

// need checks a required text: a non-empty text in every language, and in no other.
func (c *textCheck) need(field string, t vote.Text) {
	if c.err != nil {
		return
	}
	if c.err = c.foreign(field, t); c.err != nil {
		return
	}
	for _, l := range c.langs {
		if strings.TrimSpace(t[l]) == "" {
			c.err = fmt.Errorf("%s: no %q text (the poll's languages are %s)", field, l, strings.Join(c.langs, ", "))
			return
		}
	}
}

// may checks an optional text (in every language or none) and gives one left out every language,
// empty: the API answers the same fields for it as for a text that is there.
func (c *textCheck) may(field string, t *vote.Text) {
	if c.err != nil {
		return
	}
	if t.IsZero() {
		if c.err = c.foreign(field, *t); c.err != nil {
			return
		}
		*t = make(vote.Text, len(c.langs))
		for _, l := range c.langs {
			(*t)[l] = ""
		}
		return
	}
	c.need(field, *t)
}

// foreign refuses a text in a language the poll does not name.
func (c *textCheck) foreign(field string, t vote.Text) error {
	var extra []string
	for l := range t {
		if !slices.Contains(c.langs, l) {
			extra = append(extra, l)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return fmt.Errorf("%s: %q is not one of the poll's languages (%s): add it to languages, or remove the text",
		field, extra[0], strings.Join(c.langs, ", "))
}
