package server_test

import (
	"strings"
	"testing"

	"github.com/livevote/livevote/internal/app"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

// TestBallotPageLanguage covers the language the server writes into the ballot page: the link's
// (?lang=), else the browser's (Accept-Language, by q, a region finding its language), else the
// poll's first; Arabic right to left; its catalogue preloaded.
func TestBallotPageLanguage(t *testing.T) {
	polls, err := ballotfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, memstore.New(), nil, withPoll(polls[0]))
	for _, tc := range []struct{ query, accept, want string }{
		{"", "", `<html lang="en" dir="ltr">`},
		{"", "fr-CA,fr;q=0.9,en;q=0.8", `<html lang="fr" dir="ltr">`},
		{"", "de-DE,de;q=0.9,es;q=0.5,en;q=0.3", `<html lang="es" dir="ltr">`},
		{"", "ar-EG", `<html lang="ar" dir="rtl">`},
		{"?lang=zh", "ar-EG", `<html lang="zh" dir="ltr">`},
		{"?lang=de", "es", `<html lang="es" dir="ltr">`},
	} {
		r := e.anonymous().get("/vote/"+e.Poll.ID+tc.query, "Accept-Language", tc.accept)
		if !strings.Contains(string(r.Body), tc.want) {
			t.Errorf("%s with Accept-Language %q: want %s in the page", tc.query, tc.accept, tc.want)
		}
		lang := strings.Split(strings.Split(tc.want, `"`)[1], "-")[0]
		if preload := `<link rel="modulepreload" href="/static/lang-` + lang + `.js">`; !strings.Contains(string(r.Body), preload) {
			t.Errorf("%s with Accept-Language %q: no %s", tc.query, tc.accept, preload)
		}
	}
	poll := e.anonymous().get("/api/v1/polls/" + e.Poll.ID).JSON(t)
	if l, s := poll["languages"], poll["screen_languages"]; len(l.([]any)) != 5 || s.([]any)[0] != "zh" {
		t.Errorf("poll's languages %v, screen %v", l, s)
	}
	if city := poll["candidates"].([]any)[2].(map[string]any)["city"].(map[string]any); city["en"] != "Tehran" || city["fr"] != "Téhéran" {
		t.Errorf("city in the API: %v", city)
	}
}

// TestLanguageWithoutCatalogue checks that a poll in a language the pages cannot speak is refused
// at start, naming the poll and the language, rather than shown half in English on the night.
func TestLanguageWithoutCatalogue(t *testing.T) {
	p := votetest.Poll(t)
	p.Languages = append(p.Languages, "tlh")
	polls, store := []*vote.Poll{p}, memstore.New()
	_, err := app.New(t.Context(), app.Config{Server: server.Config{Polls: polls, Store: store, Secret: []byte("s"), AdminToken: "a"}})
	if err == nil || !strings.Contains(err.Error(), `languages: the pages have no sentences in "tlh"`) {
		t.Errorf("app.New = %v", err)
	}
}
