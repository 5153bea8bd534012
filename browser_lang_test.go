package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote/ballotfile"
)

// testBallotLanguages covers the ballot in the languages of the built-in ballot beyond English and
// Chinese (issue 25): French from the browser's language, Spanish from the switch (remembered),
// Arabic from the browser, right to left, with a vote cast in it; plurals by each language's rules;
// axe in each. Then the live page in Arabic.
func testBallotLanguages(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
	})
	setDifficulty(t, p.url, 0)
	ballotURL := p.url + "/vote/" + builtinPoll

	fr := b.tab(t, phone, "fr-FR")
	fr.navigate(ballotURL)
	fr.waitTrue(ballotReady)
	fr.waitTrue(`document.documentElement.lang === 'fr' && document.documentElement.dir === 'ltr' && document.getElementById('lang').value === 'fr'`)
	fr.expectText(`#legend`, "Choisissez une initiative")
	fr.expectText(`#c-tehran-p`, "Téhéran, Iran")
	fr.expectText(`#count`, "0 bulletin déposé") // French counts zero in the singular
	fr.checkAccessible("ballot in French")
	// The link's preview, in French: its tags, and the image they name.
	fr.waitTrue(`document.querySelector('meta[property="og:locale"]').content === 'fr' && document.querySelector('meta[name="twitter:card"]').content === 'summary_large_image'`)
	if got := evaluate[string](fr, `fetch(document.querySelector('meta[property="og:image"]').content).then((r) => r.blob()).then(createImageBitmap).then((b) => b.width + 'x' + b.height)`); got != "1200x630" {
		t.Errorf("the French ballot's og:image is %s, want a 1200x630 image", got)
	}

	es := b.tab(t, phone, "en-US")
	es.navigate(ballotURL)
	es.waitTrue(ballotReady)
	es.expectText(`#legend`, "Choose one initiative")
	es.chooseLang("es")
	es.expectText(`#legend`, "Elija una iniciativa")
	es.expectText(`#c-cape-town-p`, "Ciudad del Cabo, Sudáfrica")
	es.expectText(`#c-bogota-t`, "Manzanas del Cuidado de Bogotá")
	es.waitTrue(`document.documentElement.lang === 'es' && document.title.startsWith('Votar: ')`)
	es.checkAccessible("ballot in Spanish")
	es.reload() // the choice is remembered
	es.waitTrue(ballotReady)
	es.expectText(`#legend`, "Elija una iniciativa")

	ar := b.tab(t, phone, "ar-EG")
	ar.navigate(ballotURL)
	ar.waitTrue(ballotReady)
	ar.waitTrue(`document.documentElement.lang === 'ar' && document.documentElement.dir === 'rtl' && getComputedStyle(document.getElementById('legend')).direction === 'rtl'`)
	ar.waitTrue(`document.documentElement.scrollWidth <= innerWidth`) // nothing pushed off to the side
	ar.expectText(`#legend`, "اختر مبادرة واحدة")
	ar.expectText(`#c-bogota-p`, "بوغوتا، كولومبيا")
	ar.expectText(`#count`, "لم يُدلَ بأي صوت بعد") // Arabic's zero form
	ar.screenshot("ballot-ar.png", false)
	ar.checkAccessible("ballot in Arabic")
	ar.click(`label[for=c-ramallah]`)
	ar.click(`#submit`)
	ar.waitTrue(`!document.getElementById('result').hidden`)
	ar.expectText(`#result-title`, "شكرًا لك! سُجِّل صوتك.")
	ar.expectText(`#count`, "أُدلي بصوت واحد") // one: a form of its own
	ar.checkAccessible("ballot in Arabic with receipt")
	ar.click(`#receipt-link`) // the receipt page, in the language chosen
	ar.waitTrue(`document.querySelector('#answer.ok') !== null && document.documentElement.dir === 'rtl'`)
	ar.expectText(`#answer strong`, "مسجّل: رام الله · منتدى الخبرات: شيخوخة نشطة بقيادة المجتمع، وتم التحقق منه.")
	ar.checkAccessible("receipt in Arabic")

	live := b.tab(t, desktop, "ar")
	live.navigate(p.url + "/live/" + builtinPoll)
	live.waitTrue(`document.documentElement.dir === 'rtl' && document.getElementById('ballots').textContent === new Intl.NumberFormat('ar').format(1)`)
	live.expectText(`#h-count`, "الأصوات المستلمة")
	live.waitTrue(`document.getElementById('log').textContent.startsWith('السجل العام: ٣ إدخالات') || document.getElementById('log').textContent.startsWith('السجل العام: 3 إدخالات')`) // 3 entries: Arabic's few form
	live.waitTrue(`document.documentElement.scrollWidth <= innerWidth`)
	live.screenshot("live-ar.png", false) // a full-page capture of a right-to-left page comes out shifted
	live.checkAccessible("live page in Arabic")
}

// testScreenLanguages covers the big screen in the two languages its ballot file names for it:
// the built-in ballot with screen_languages [es, fr] shows its title, its labels and its status in
// Spanish then French; so do the organiser's checklist (plurals by each language's rules), the
// overlay, the staged reveal's note and a correction after the reveal.
func testScreenLanguages(t *testing.T, b *browser) {
	file := filepath.Join(t.TempDir(), "ballot.yaml")
	yaml := strings.Replace(string(ballotfile.BuiltinYAML()), "screen_languages: [zh, en]", "screen_languages: [es, fr]", 1)
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret", "LIVEVOTE_BALLOT": file,
	})
	tab := b.tab(t, bigScreen, "en-US")
	tab.navigate(p.url + "/screen/" + builtinPoll + "#token=" + organiser)
	tab.expectText(`#title-zh`, "La ciudad de su elección: 6.º Premio de Guangzhou a la Innovación Urbana")
	tab.expectText(`#title-en`, "La ville de votre choix : 6e Prix de Guangzhou pour l'innovation urbaine")
	tab.expectText(`[data-s=ballots_received]`, "papeletas recibidas bulletins reçus")
	tab.waitTrue(`document.documentElement.lang === 'es' && document.getElementById('title-en').lang === 'fr'`)
	adminPost(t, p.url, "status", `{"status":"paused"}`)
	tab.expectText(`#status`, "Votación en pausa · Vote suspendu")
	tab.checkAccessible("screen in Spanish and French")

	adminPost(t, p.url, "status", `{"status":"open"}`)
	castVote(t, p.url, "xianning")
	setDifficulty(t, p.url, 0)
	held := castHeldVote(t, p.url, "kazan")
	tab.expectText(`#count`, "2")
	tab.keys("h")
	tab.waitTrue(`document.getElementById('org').textContent.includes('Espacio/→ siguiente') && document.getElementById('org').textContent.includes('Espace/→ suivant')`)
	tab.keys("r")
	tab.waitTrue(`document.getElementById('check').open`)
	tab.expectText(`#check-title`, "Antes del anuncio · Avant l’annonce")
	list := tab.text(`#check-list`)
	for _, want := range []string{"2 papeletas recibidas · bulletins reçus", "1 papeleta contada · bulletin compté", "1 retenida para revisión · retenu pour examen",
		"Auditoría desde el cierre: no realizada · Audit depuis la clôture : non lancé"} {
		if !strings.Contains(list, want) {
			t.Errorf("the checklist has no %q: %q", want, list)
		}
	}
	if shown := tab.text(`#check`); strings.Contains(shown, "held") || strings.Contains(shown, "暂扣") || strings.Contains(shown, "Reveal") {
		t.Errorf("the checklist speaks English or Chinese on a Spanish and French screen: %q", shown)
	}
	tab.click(`#check-confirm`)
	tab.click(`#check-go`)
	tab.waitTrue(`document.getElementById('stage-note').textContent === 'faltan 2 puestos por revelar · encore 2 places à dévoiler'`)
	tab.waitTrue(`document.getElementById('org').textContent.startsWith('Anuncio iniciado')`)
	tab.keys(" ")
	tab.waitTrue(`document.getElementById('stage-note').textContent === 'falta 1 puesto por revelar · encore 1 place à dévoiler'`)
	tab.keys(" ")
	tab.waitTrue(`document.getElementById('stage-note').hidden`)
	adminPost(t, p.url, "held/"+held, `{"action":"release"}`)
	tab.waitTrue(`!document.getElementById('correction').hidden && /^Corregido a las .*: el resultado cambió después del anuncio · Corrigé à .* : le résultat a changé après l’annonce$/.test(document.getElementById('correction').textContent)`)
	tab.checkAccessible("screen in Spanish and French, corrected")
}
