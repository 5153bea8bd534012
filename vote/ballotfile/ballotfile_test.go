package ballotfile_test

import (
	"fmt"
	"github.com/livevote/livevote/vote/ballotfile"
	"slices"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote"
)

func TestBuiltin(t *testing.T) {
	polls, err := ballotfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(polls) != 1 {
		t.Fatalf("built-in ballot has %d polls, want 1", len(polls))
	}
	p := polls[0]
	if p.ID != "guangzhou-2023" || len(p.Candidates) != 15 || p.MaxChoices != 1 || p.Limit != vote.LimitOnce {
		t.Errorf("built-in poll = %s with %d candidates, max %d, limit %s", p.ID, len(p.Candidates), p.MaxChoices, p.Limit)
	}
	if p.Initial.Status != vote.StatusOpen || p.Initial.Results != vote.ResultsHidden {
		t.Errorf("built-in poll starts %s/%s, want open/hidden", p.Initial.Status, p.Initial.Results)
	}
	if p.FixedOrder {
		t.Error("the built-in poll keeps a fixed order: its candidates should show in each voter's own order")
	}
	for _, c := range p.Candidates {
		if c.Summary["en"] == "" || c.Summary["zh"] == "" {
			t.Errorf("candidate %s lacks a summary in both languages", c.ID)
		}
	}
}

func TestParseErrorsNameFilePollAndField(t *testing.T) {
	const cand = `candidates: [{id: a, city: {en: A, zh: A}, country: {en: C, zh: C}, initiative: {en: I, zh: I}}]`
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", ``, "empty ballot file"},
		{"no polls", `polls: []`, "polls: at least one"},
		{"unknown field", `polls: [{id: p, colour: red}]`, "colour"},
		{"bad id", `polls: [{id: "P Q"}]`, `poll P Q: id:`},
		{"no title", `polls: [{id: p, ` + cand + `}]`, "poll p: title"},
		{"bad limit", `polls: [{id: p, title: {en: T, zh: T}, limit: weekly, ` + cand + `}]`, "poll p: limit"},
		{"bad tz", `polls: [{id: p, title: {en: T, zh: T}, time_zone: Mars/Base, ` + cand + `}]`, "poll p: time_zone"},
		{"bad status", `polls: [{id: p, title: {en: T, zh: T}, status: scheduled, ` + cand + `}]`, "poll p: status"},
		{"bad results", `polls: [{id: p, title: {en: T, zh: T}, results: secret, ` + cand + `}]`, "poll p: results"},
		{"bad difficulty", `polls: [{id: p, title: {en: T, zh: T}, difficulty: -1, ` + cand + `}]`, "poll p: difficulty"},
		{"max choices", `polls: [{id: p, title: {en: T, zh: T}, max_choices: 2, ` + cand + `}]`, "poll p: max_choices"},
		{"no candidates", `polls: [{id: p, title: {en: T, zh: T}}]`, "poll p: candidates"},
		{"candidate text", `polls: [{id: p, title: {en: T, zh: T}, candidates: [{id: a, city: {en: A}}]}]`, "candidate a: "},
		{"dates", `polls: [{id: p, title: {en: T, zh: T}, opens_at: 2023-11-30T00:00:00Z, closes_at: 2023-11-01T00:00:00Z, ` + cand + `}]`, "poll p: closes_at"},
		{"bad reveal", `polls: [{id: p, title: {en: T, zh: T}, reveal: {top: -1}, ` + cand + `}]`, "poll p: reveal: top"},
		{"bad order", `polls: [{id: p, title: {en: T, zh: T}, order: alphabetical, ` + cand + `}]`, "poll p: order"},
		{"twice", `polls: [{id: p, title: {en: T, zh: T}, ` + cand + `}, {id: p, title: {en: T, zh: T}, ` + cand + `}]`, "poll p: id: defined twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ballotfile.Parse([]byte(tt.yaml), "polls.yaml")
			if err == nil {
				t.Fatal("Parse accepted a bad ballot file")
			}
			if !strings.HasPrefix(err.Error(), "polls.yaml: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to name the file and contain %q", err, tt.want)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	const poll = `polls: [{id: p, title: {en: T, zh: T}, %s candidates: [{id: a, city: {en: A, zh: A}, country: {en: C, zh: C}, initiative: {en: I, zh: I}}]}]`
	for order, fixed := range map[string]bool{"": false, "order: random,": false, "order: fixed,": true} {
		polls, err := ballotfile.Parse([]byte(strings.Replace(poll, "%s", order, 1)), "polls.yaml")
		if err != nil {
			t.Fatalf("%q: %v", order, err)
		}
		if polls[0].FixedOrder != fixed {
			t.Errorf("%q: FixedOrder = %v", order, polls[0].FixedOrder)
		}
	}
}

// TestLanguages covers languages as data: a file without languages is in English and Chinese as
// before (its optional texts answered with both, empty), a file names any number, the big screen
// shows two of them, and every text must cover them all, or the load fails naming the field.
func TestLanguages(t *testing.T) {
	const cand = `{id: a, city: {en: A, zh: 甲}, country: {en: C, zh: 国}, initiative: {en: I, zh: 想}}`
	p := parseOne(t, `polls: [{id: p, title: {en: T, zh: 题}, candidates: [`+cand+`]}]`)
	if !slices.Equal(p.Languages, []string{"en", "zh"}) || !slices.Equal(p.ScreenLanguages, []string{"en", "zh"}) {
		t.Errorf("languages %v, screen %v; want en, zh for a file without languages", p.Languages, p.ScreenLanguages)
	}
	if d, ok := p.Description["zh"]; !ok || d != "" || len(p.Description) != 2 {
		t.Errorf("description left out = %#v, want en and zh, empty", p.Description)
	}
	if p.Candidates[0].Theme != nil {
		t.Errorf("theme left out = %#v, want nil", p.Candidates[0].Theme)
	}

	three := `polls: [{id: p, languages: [fr, en, ar], screen_languages: [ar, fr], title: {en: T, fr: Titre, ar: عنوان},
  candidates: [{id: a, city: {en: Cairo, fr: Le Caire, ar: القاهرة}, country: {en: Egypt, fr: Égypte, ar: مصر},
    initiative: {en: I, fr: I, ar: م}, summary: {en: S, fr: S, ar: س}}]}]`
	p = parseOne(t, three)
	if !slices.Equal(p.Languages, []string{"fr", "en", "ar"}) || !slices.Equal(p.ScreenLanguages, []string{"ar", "fr"}) {
		t.Errorf("languages %v, screen %v", p.Languages, p.ScreenLanguages)
	}
	if got := p.Candidates[0].City.In("fr-CA", "en"); got != "Le Caire" {
		t.Errorf("city in fr-CA = %q, want the French", got)
	}

	for _, tt := range []struct{ name, yaml, want string }{
		{"missing language", strings.Replace(three, "fr: Le Caire, ", "", 1), `candidate a: city: no "fr" text (the poll's languages are fr, en, ar)`},
		{"summary partly", strings.Replace(three, "fr: S, ", "", 1), `candidate a: summary: no "fr" text`},
		{"title", strings.Replace(three, "ar: عنوان", "ar: ' '", 1), `poll p: title: no "ar" text`},
		{"foreign", strings.Replace(three, "{en: T,", "{de: T, en: T,", 1), `title: "de" is not one of the poll's languages (fr, en, ar)`},
		{"bad tag", strings.Replace(three, "[fr, en, ar]", "[fr, en, ar, English]", 1), `languages: "English" is not a language tag`},
		{"twice", strings.Replace(three, "[fr, en, ar]", "[fr, en, ar, fr]", 1), `languages: "fr" named twice`},
		{"screen not a language", strings.Replace(three, "[ar, fr]", "[ar, zh]", 1), `screen_languages: "zh" is not one of the poll's languages`},
		{"screen three", strings.Replace(three, "[ar, fr]", "[ar, fr, en]", 1), `screen_languages: 3 languages`},
		{"none", strings.Replace(three, "[fr, en, ar]", "[]", 1), `languages: at least one`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ballotfile.Parse([]byte(tt.yaml), "polls.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestBuiltinLanguages checks that the built-in ballot speaks the languages of the award's
// partners and its host, Arabic for the right-to-left pages, with its screen in Chinese and
// English; the loader checks that every text has all of them.
func TestBuiltinLanguages(t *testing.T) {
	polls, err := ballotfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p := polls[0]
	if !slices.Equal(p.Languages, []string{"en", "zh", "fr", "es", "ar"}) || !slices.Equal(p.ScreenLanguages, []string{"zh", "en"}) {
		t.Errorf("built-in languages %v, screen %v", p.Languages, p.ScreenLanguages)
	}
	c, _ := p.Candidate("bogota")
	for l, want := range map[string]string{"en": "Bogotá", "es": "Bogotá", "fr": "Bogota", "ar": "بوغوتا"} {
		if c.City[l] != want {
			t.Errorf("Bogotá in %s = %q, want %q", l, c.City[l], want)
		}
	}
	for _, c := range p.Candidates { // a title left in English would pass the loader: not in this ballot
		for _, l := range []string{"fr", "es", "ar"} {
			if c.Initiative[l] == c.Initiative["en"] {
				t.Errorf("candidate %s: the %s initiative is the English one", c.ID, l)
			}
		}
	}
}

func parseOne(t *testing.T, yaml string) *vote.Poll {
	t.Helper()
	polls, err := ballotfile.Parse([]byte(yaml), "polls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return polls[0]
}

func TestEmbedSites(t *testing.T) {
	const poll = `polls: [{id: p, title: {en: T, zh: 题}, candidates: [{id: a, city: {en: A, zh: 甲}, country: {en: C, zh: 国}, initiative: {en: I, zh: 想}}], embed_sites: %s}]`
	p := parseOne(t, fmt.Sprintf(poll, `["https://www.uclg.org", "https://*.metropolis.org", "http://127.0.0.2:8080"]`))
	if len(p.EmbedSites) != 3 {
		t.Errorf("embed sites %v", p.EmbedSites)
	}
	for _, bad := range []string{`["*"]`, `["'none'"]`, `["https://a.org/path"]`, `["https://a.org; script-src *"]`, `["uclg.org"]`, `["https://A.org"]`, `["https://a.org", "https://a.org"]`} {
		if _, err := ballotfile.Parse([]byte(fmt.Sprintf(poll, bad)), "polls.yaml"); err == nil || !strings.Contains(err.Error(), "poll p: embed_sites: ") {
			t.Errorf("embed_sites %s: error %v", bad, err)
		}
	}
}
