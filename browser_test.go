package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/livevote/livevote/internal/apiclient"
	"github.com/livevote/livevote/internal/pow"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

// Browser tests: the real program (run) serves the real pages to headless Chromium (Debian's
// chromium). Without Chromium they are skipped, unless LIVEVOTE_REQUIRE_BROWSER=1 (as in CI).
// They save a screenshot of every page in screenshotDir.

const (
	screenshotDir = "screenshots"
	organiser     = "organiser-token"
	builtinPoll   = "guangzhou-2023"
	stepTimeout   = 20 * time.Second // one browser action or wait
	ballotBudget  = 100_000          // bytes over the wire for the ballot page, everything included
)

// ballotReady is true once the ballot page shows its form with the built-in poll's 15 initiatives.
const ballotReady = `!document.getElementById('ballot').hidden && document.querySelectorAll('input[name=choice]').length === 15`

func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	os.MkdirAll(screenshotDir, 0o755)
	old, _ := filepath.Glob(filepath.Join(screenshotDir, "FAILED-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	t.Run("ballot", func(t *testing.T) { testBallot(t, b) })
	t.Run("several choices", func(t *testing.T) { testSeveralChoices(t, b) })
	t.Run("ballot in French, Spanish and Arabic", func(t *testing.T) { testBallotLanguages(t, b) })
	t.Run("ballot embedded in a partner's site", func(t *testing.T) { testEmbedded(t, b) })
	t.Run("screen", func(t *testing.T) { testScreen(t, b) })
	t.Run("screen sign-in", func(t *testing.T) { testScreenSignIn(t, b) })
	t.Run("screen in the ballot file's two languages", func(t *testing.T) { testScreenLanguages(t, b) })
	t.Run("receipt log proof", func(t *testing.T) { testReceiptLog(t, b) })
	t.Run("organiser groups", func(t *testing.T) { testHeldGroups(t, b) })
}

// testHeldGroups covers the console's held ballots by source (issue 12): ballots held for one
// reason from one source show as one group with its count, addresses and choices beside the
// poll's; Release, confirmed, counts the whole group; Void, confirmed, voids the next one; the
// audit replays both.
func testHeldGroups(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
	})
	setDifficulty(t, p.url, 0)
	castVote(t, p.url, "xianning") // a ballot counted, for the poll's hour
	for _, c := range []string{"kampala", "kampala", "gwangju"} {
		castHeldVote(t, p.url, c)
	}
	results := func() map[string]any { return getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", organiser) }
	if r := results(); r["counted"] != 1.0 || r["held"] != 3.0 || r["ballots"] != 4.0 {
		t.Fatalf("before review: %v", r)
	}

	org := b.tab(t, desktop, "en-US")
	org.navigate(p.url + "/organiser/" + builtinPoll + "#token=" + organiser)
	org.waitTrue(`!document.getElementById('console').hidden`)
	org.waitTrue(`document.querySelectorAll('#groups-list > li').length === 1`)
	org.expectText(`#h-groups`, "Held ballots by source")
	org.expectText(`#groups-list > li .group-signal`, "tool_agent")
	org.waitTrue(`document.querySelector('#groups-list > li .group-facts').textContent.startsWith('3 ballots from 1 addresses')`)
	// the group's choices (2 Kampala, 1 Gwangju) beside the poll's hour (4 ballots: 1 Xianning)
	org.waitTrue(`[...document.querySelectorAll('#groups-list > li .group-choices tbody tr')].map(r => r.textContent).join('|') === 'Kampala2 · 67%50%|Gwangju1 · 33%25%'`)
	org.screenshot("organiser-groups.png", true)
	org.elementShot("organiser-groups-panel.png", `#held-groups`)
	org.checkAccessible("organiser groups")
	org.click(`#lang`)
	org.expectText(`#h-groups`, "按来源分组的暂扣选票")
	org.expectText(`#groups-list > li [data-action=release]`, "全部放行（3）")
	org.click(`#lang`)

	org.click(`#groups-list > li [data-action=release]`)
	org.waitTrue(`document.getElementById('confirm').open`)
	org.expectText(`#confirm-title`, "Release this group?")
	org.click(`#confirm-ok`)
	org.expectText(`#announce`, "3 ballots of the group released: they are counted.")
	org.waitTrue(`document.querySelectorAll('#groups-list > li').length === 0 && !document.getElementById('groups-empty').hidden`)
	if r := results(); r["counted"] != 4.0 || r["held"] != 0.0 {
		t.Errorf("after releasing the group: %v", r)
	}

	castHeldVote(t, p.url, "kazan")
	castHeldVote(t, p.url, "kazan")
	org.waitTrue(`document.querySelectorAll('#groups-list > li').length === 1`)
	org.expectText(`#groups-list > li [data-action=void]`, "Void all 2")
	org.click(`#groups-list > li [data-action=void]`)
	org.waitTrue(`document.getElementById('confirm').open`)
	org.expectText(`#confirm-title`, "Void this group?")
	org.click(`#confirm-ok`)
	org.expectText(`#announce`, "2 ballots of the group voided.")
	org.waitTrue(`document.querySelectorAll('#groups-list > li').length === 0`)
	if r := results(); r["counted"] != 4.0 || r["held"] != 0.0 || r["void"] != 2.0 || r["ballots"] != 6.0 { // ballots: voided included
		t.Errorf("after voiding the group: %v", r)
	}
	if a := getJSON(t, p.url+"/api/v1/admin/polls/"+builtinPoll+"/audit", organiser); a["consistent"] != true {
		t.Errorf("audit after the group actions: %v", a)
	}
}

// testScreenSignIn covers the big screen opened without a token: R asks for one, a wrong one is
// refused on the screen and reveals nothing, and after O and the right one R and the checklist
// reveal.
func testScreenSignIn(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
	})
	results := func() any { return getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", "")["results"] }
	tab := b.tab(t, bigScreen, "en-US")
	tab.navigate(p.url + "/screen/" + builtinPoll)
	tab.waitTrue(`document.getElementById('title-zh').textContent.includes('广州')`)
	tab.waitTrue(`!document.getElementById('rate-box').hidden`) // the first snapshot came: R needs it
	tab.expectText(`#count`, "0")
	dialogOpen := `document.getElementById('login').open && document.activeElement.id === 'login-token'`

	reveal := func() { // R shows the checklist; its Reveal reveals
		t.Helper()
		tab.press('r')
		tab.waitTrue(`document.getElementById('check').open && !document.getElementById('check-go').disabled`)
		tab.click(`#check-go`)
	}
	tab.press('r') // no token yet: the sign-in dialog (and no "r" in its token field)
	tab.waitTrue(dialogOpen)
	tab.sendKeys(`#login-token`, "not-the-token"+kb.Enter)
	tab.waitTrue(`!document.getElementById('login').open && sessionStorage.getItem('lv_token') === 'not-the-token'`)
	tab.press('r') // the checklist needs a token that is accepted
	tab.waitTrue(`document.getElementById('org').textContent.includes('Token not accepted')`)
	if r := results(); r != "hidden" {
		t.Fatalf("after a wrong token the results are %v", r)
	}

	tab.press('o')
	tab.waitTrue(dialogOpen)
	tab.screenshot("screen-sign-in.png", false)
	tab.sendKeys(`#login-token`, organiser+kb.Enter)
	tab.waitTrue(`document.getElementById('org').textContent.includes('Organiser signed in')`)
	reveal()
	tab.waitTrue(`document.body.classList.contains('mode-results')`)
	if r := results(); r != "revealed" {
		t.Errorf("after R twice with the token the results are %v", r)
	}
	if u := tab.location(); strings.Contains(u, organiser) {
		t.Errorf("the token is in the screen's URL: %s", u)
	}
}

// testSeveralChoices covers a poll of up to two choices (the built-in poll has one): check boxes,
// the others disabled once two are chosen and enabled again when one is cleared, both choices in
// the answer and in the tally.
func testSeveralChoices(t *testing.T, b *browser) {
	file := filepath.Join(t.TempDir(), "ballot.yaml")
	if err := os.WriteFile(file, []byte(votetest.PollYAML("max_choices: 2")), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret", "LIVEVOTE_BALLOT": file,
	})
	polls := getJSON(t, p.url+"/api/v1/polls", "")["polls"].([]any)
	id := polls[0].(map[string]any)["id"].(string)

	tab := b.tab(t, phone, "en-US")
	tab.navigate(p.url + "/vote/" + id)
	tab.waitTrue(`!document.getElementById('ballot').hidden && document.querySelectorAll('input[name=choice][type=checkbox]').length === 3`)
	tab.expectText(`#legend`, "Choose up to 2 initiatives")
	tab.click(`label[for=c-a]`)
	tab.click(`label[for=c-c]`)
	tab.waitTrue(`document.getElementById('c-b').disabled && !document.getElementById('c-a').disabled`)
	tab.expectText(`#chosen`, "You have chosen 2, the most allowed. Clear one to choose another.")
	tab.click(`label[for=c-a]`) // cleared: b may be chosen again
	tab.waitTrue(`!document.getElementById('c-b').disabled`)
	tab.click(`label[for=c-b]`)
	tab.screenshot("ballot-two-choices.png", false)
	tab.click(`#submit`)
	tab.waitTrue(`!document.getElementById('result').hidden`)
	tab.expectText(`#result-title`, "Thank you! Your vote is recorded.")
	tab.expectText(`#result-choice`, "You chose: City b · Idea b; City c · Idea c")

	tally := getJSON(t, p.url+"/api/v1/polls/"+id+"/results", organiser)["tally"].(map[string]any)
	if tally["a"] != 0.0 || tally["b"] != 1.0 || tally["c"] != 1.0 {
		t.Errorf("tally after one ballot for b and c: %v", tally)
	}
}

// testBallot covers the ballot, the receipt, the organiser's console and the closed poll, on the
// built-in ballot (proof-of-work difficulty 50,000: every vote solves it in the Web Worker).
func testBallot(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
	})
	ballotURL := p.url + "/vote/" + builtinPoll
	// A small proof-of-work keeps the suite light on a 2-core machine; the Web Worker still solves
	// one for every vote (and the proof-of-work subtests below take the largest).
	setDifficulty(t, p.url, 2000)

	t.Run("English vote with receipt, size and origin", func(t *testing.T) {
		tab := b.tab(t, phone, "en-US")
		net := tab.recordNetwork()
		tab.navigate(ballotURL)
		tab.waitTrue(ballotReady)
		tab.waitTrue(`document.documentElement.lang === 'en' && document.getElementById('legend').textContent === 'Choose one initiative'`)
		tab.waitTrue(`document.getElementById('count').textContent === '0 ballots cast'`)
		tab.screenshot("ballot-en.png", false)
		tab.checkAccessible("ballot")
		tab.click(`label[for=c-kazan]`)
		tab.waitTrue(`document.getElementById('chosen').textContent.includes('Kazan')`)
		tab.click(`#submit`)
		tab.waitTrue(`!document.getElementById('result').hidden`)
		tab.expectText(`#result-title`, "Thank you! Your vote is recorded.")
		tab.waitTrue(`document.activeElement && document.activeElement.id === 'result'`)
		receipt := tab.text(`#receipt`)
		if res := getJSON(t, p.url+"/api/v1/receipts/"+receipt, ""); res["poll"] != builtinPoll {
			t.Errorf("receipt %q shown on the page: API answers %v", receipt, res)
		}
		tab.waitTrue(`document.getElementById('count').textContent === '1 ballot cast'`)
		tab.screenshot("ballot-en-receipt.png", false)
		tab.checkAccessible("ballot with receipt")

		size, urls := net.summary()
		t.Logf("ballot page, from load to receipt: %d requests, %d bytes over the wire", len(urls), size)
		if size >= ballotBudget || size < 10_000 {
			t.Errorf("ballot page transferred %d bytes; the budget is under %d", size, ballotBudget)
		}
		for _, u := range urls {
			if !sameOrigin(u, p.url) {
				t.Errorf("the ballot page made a third-party request: %s", u)
			}
		}

		tab.click(`#receipt-link`)
		tab.waitTrue(`document.querySelector('#answer.ok') !== null`)
		tab.waitTrue(`(s => s.startsWith('Recorded: ') && s.endsWith(', verified.'))(document.querySelector('#answer strong').textContent)`) // the choice, checked in the public log
		tab.screenshot("receipt.png", false)
		tab.checkAccessible("receipt")
	})

	t.Run("Chinese vote follows the browser language", func(t *testing.T) {
		tab := b.tab(t, phone, "zh-CN")
		tab.navigate(ballotURL)
		tab.waitTrue(ballotReady)
		tab.waitTrue(`document.documentElement.lang === 'zh-CN'`)
		tab.expectText(`#legend`, "请选择一个项目")
		tab.expectText(`#c-xianning-t`, "儿童友好的校园周边交通安全")
		tab.screenshot("ballot-zh.png", false)
		tab.checkAccessible("ballot in Chinese")
		tab.click(`label[for=c-xianning]`)
		tab.click(`#submit`)
		tab.waitTrue(`!document.getElementById('result').hidden`)
		tab.expectText(`#result-title`, "谢谢！您的投票已记录。")
		tab.screenshot("ballot-zh-receipt.png", false)
		tab.chooseLang("en") // the switch
		tab.expectText(`#result-title`, "Thank you! Your vote is recorded.")
		tab.waitTrue(`document.documentElement.lang === 'en'`)
	})

	t.Run("a second vote says already voted", func(t *testing.T) {
		first := b.tab(t, phone, "en-US")
		first.navigate(ballotURL)
		first.waitTrue(ballotReady)
		second := first.sameVoter(t)
		second.navigate(ballotURL)
		second.waitTrue(ballotReady)
		first.click(`label[for=c-bogota]`)
		first.click(`#submit`)
		first.expectText(`#result-title`, "Thank you! Your vote is recorded.")
		second.click(`label[for=c-mannheim]`)
		second.click(`#submit`)
		second.waitTrue(`!document.getElementById('result').hidden`)
		second.expectText(`#result-title`, "You have already voted")
		second.expectText(`#result-text`, "Each person votes once. Your ballot is safely stored.")
		if a, b := first.text(`#receipt`), second.text(`#receipt`); a != b {
			t.Errorf("the already-voted page shows receipt %q, the vote got %q", b, a)
		}
		second.screenshot("ballot-already-voted.png", false)
		second.reload()
		second.expectText(`#result-title`, "You have already voted")
	})

	t.Run("keyboard only", func(t *testing.T) {
		tab := b.tab(t, phone, "en-US")
		tab.navigate(ballotURL)
		tab.waitTrue(ballotReady)
		// The candidates are in this voter's own order, the same after a reload.
		order := evaluate[[]string](tab, `[...document.querySelectorAll('input[name=choice]')].map((i) => i.value)`)
		tab.reload()
		tab.waitTrue(ballotReady)
		if again := evaluate[[]string](tab, `[...document.querySelectorAll('input[name=choice]')].map((i) => i.value)`); !slices.Equal(order, again) {
			t.Errorf("the order changed on reload: %v, then %v", order, again)
		}
		cities := map[string]string{}
		var fileOrder []string
		for _, c := range getJSON(t, p.url+"/api/v1/polls/"+builtinPoll, "")["candidates"].([]any) {
			m := c.(map[string]any)
			fileOrder = append(fileOrder, m["id"].(string))
			cities[m["id"].(string)] = m["city"].(map[string]any)["en"].(string) + " · " + m["initiative"].(map[string]any)["en"].(string)
		}
		if slices.Equal(order, fileOrder) {
			t.Errorf("the ballot shows the ballot file's order %v", order)
		}
		tab.keys(kb.Tab) // the skip link
		tab.waitTrue(`document.activeElement.classList.contains('skip')`)
		tab.keys(kb.Tab) // the language switch
		tab.waitTrue(`document.activeElement.id === 'lang'`)
		tab.keys(kb.Tab) // the first candidate
		tab.waitTrue(`document.activeElement.id === 'c-` + order[0] + `'`)
		tab.keys(kb.ArrowDown) // moves to and selects the second
		tab.waitTrue(`document.activeElement.id === 'c-` + order[1] + `' && document.activeElement.checked`)
		for i := 2; order[(i-1)%len(order)] != "kazan"; i++ { // on to Kazan (the organiser's subtest counts it); the arrows wrap
			tab.keys(kb.ArrowDown)
			tab.waitTrue(`document.activeElement.id === 'c-` + order[i%len(order)] + `' && document.activeElement.checked`)
		}
		tab.keys(kb.Tab)
		tab.waitTrue(`document.activeElement.id === 'submit'`)
		tab.keys(kb.Enter)
		tab.waitTrue(`!document.getElementById('result').hidden`)
		tab.expectText(`#result-title`, "Thank you! Your vote is recorded.")
		tab.waitTrue(`document.activeElement.id === 'result'`)
		tab.expectText(`#result-choice`, "You chose: "+cities["kazan"])
	})

	t.Run("every API error has a sentence in every language", func(t *testing.T) {
		// The lists are the server's (codes.js, made from the Go tables); the sentences are the
		// pages': each catalogue (lang-{tag}.js, section errors) for every error code, the
		// console's for every signal, every result that refuses a vote, every status and visibility
		// (and a button for each one an organiser sets). Every catalogue has
		// every key of the English one, and in forms every plural form its language uses.
		tab := b.tab(t, phone, "en-US")
		tab.navigate(p.url + "/receipt/x")
		got := evaluate[struct {
			Missing []string `json:"missing"`
			Codes   int      `json:"codes"`
			Results int      `json:"results"`
			Signals int      `json:"signals"`
			States  int      `json:"states"`
		}](tab, `Promise.all([import('/static/codes.js'), import('/static/common.js'), import('/static/organiser-strings.js')])
			.then(async ([codes, {CATALOGUES}, {S}]) => {
				const cats = Object.fromEntries(await Promise.all(CATALOGUES.map(async (l) => [l, (await import('/static/lang-' + l + '.js')).default])));
				const missing = (file, list, dict, langs = ['en', 'zh']) => list.flatMap((k) => langs.filter((l) => !dict(l)[k]).map((l) => file + ' ' + l + ': ' + k));
				const refusals = codes.voteResults.filter((r) => r !== 'accepted' && r !== 'held');
				const keys = [];
				for (const [sec, d] of Object.entries(cats.en)) if (typeof d === 'object') for (const k of Object.keys(d)) keys.push([sec, k]);
				const forms = (l, s) => typeof s !== 'object' ? [] :
					new Intl.PluralRules(cats[l].locale).resolvedOptions().pluralCategories.filter((f) => !s[f]);
				return {
					missing: [
						...missing('lang-*.js errors', [...codes.errorCodes, 'network', 'already_voted_daily', 'rate_limited_short'], (l) => cats[l].errors, CATALOGUES),
						...CATALOGUES.flatMap((l) => keys.filter(([sec, k]) => !cats[l][sec] || !cats[l][sec][k]).map(([sec, k]) => 'lang-' + l + '.js: ' + sec + '.' + k)),
						...CATALOGUES.flatMap((l) => keys.flatMap(([sec, k]) => forms(l, cats[l][sec] && cats[l][sec][k]).map((f) => 'lang-' + l + '.js: ' + sec + '.' + k + '.' + f))),
						...CATALOGUES.filter((l) => !cats[l].locale || !['ltr', 'rtl'].includes(cats[l].dir)).map((l) => 'lang-' + l + '.js: locale or dir'),
						...missing('organiser-strings.js reason', refusals, (l) => S[l].reason),
						...missing('organiser-strings.js sig', codes.signals.map((s) => s.name), (l) => S[l].sig),
						...missing('organiser-strings.js', [...codes.statuses, ...codes.visibilities], (l) => S[l]),
						...missing('organiser-strings.js', [...codes.settableStatuses, ...codes.visibilities].map((s) => 'do_' + s), (l) => S[l]),
					],
					codes: codes.errorCodes.length, results: codes.voteResults.length, signals: codes.signals.length,
					states: codes.statuses.length + codes.visibilities.length,
				};
			})`)
		if len(got.Missing) > 0 {
			t.Errorf("no sentence for %v", got.Missing)
		}
		if got.States != len(vote.Statuses)+len(vote.Visibilities) {
			t.Errorf("codes.js has %d statuses and visibilities, Go %d", got.States, len(vote.Statuses)+len(vote.Visibilities))
		}
		if got.Codes != len(server.ErrorCodes()) || got.Results != len(server.VoteResults()) || got.Signals != len(vote.Signals) {
			t.Errorf("codes.js has %d codes, %d results, %d signals; Go has %d, %d, %d", got.Codes, got.Results, got.Signals,
				len(server.ErrorCodes()), len(server.VoteResults()), len(vote.Signals))
		}
		tab.expectText(`#answer`, "No ballot has this receipt. Please check the code.")
	})

	t.Run("proof of work: Web Crypto and the fallback find the number", func(t *testing.T) {
		tab := b.tab(t, phone, "en-US")
		tab.navigate(p.url + "/receipt/x")
		salt, n := "test-salt?poll=x", 4321
		for _, js := range []bool{false, true} {
			got := evaluate[int](tab, fmt.Sprintf(`new Promise((resolve) => {
				const w = new Worker('/static/pow.js');
				w.onmessage = (e) => { if ('number' in e.data) resolve(e.data.number); };
				w.postMessage({salt: %q, challenge: %q, max: 5000, js: %t});
			})`, salt, pow.Digest(salt, int64(n)), js))
			if got != n {
				t.Errorf("pow.js (fallback %t) found %d, want %d", js, got, n)
			}
		}
	})

	t.Run("a slow proof of work shows progress", func(t *testing.T) {
		tab := b.tab(t, phone, "en-US")
		// A challenge whose answer is at the end of the largest range: the worker takes a while.
		salt, n := "slow?poll="+builtinPoll, 10_000_000
		challenge, _ := json.Marshal(map[string]any{
			"algorithm": "SHA-256", "challenge": pow.Digest(salt, int64(n)), "salt": salt, "max_number": n, "signature": "00",
		})
		tab.beforeScripts(`{
			const slow = ` + strconv.Quote(string(challenge)) + `;
			const real = window.fetch;
			window.fetch = (u, o) => String(u).endsWith('/challenge')
				? Promise.resolve(new Response(slow, {headers: {'Content-Type': 'application/json'}}))
				: real(u, o);
			// The page carries its first challenge: that one too (before the page's module runs).
			document.addEventListener('readystatechange', () => {
				const boot = document.getElementById('boot');
				if (document.readyState !== 'interactive' || !boot) return;
				boot.textContent = JSON.stringify({ ...JSON.parse(boot.textContent), challenge: JSON.parse(slow) });
			});
		}`)
		tab.navigate(ballotURL)
		tab.waitTrue(ballotReady)
		tab.click(`label[for=c-gwangju]`)
		tab.click(`#submit`)
		tab.waitTrue(`!document.getElementById('progress').hidden && document.getElementById('progress-bar').value > 0`)
		tab.waitTrue(`/Securing your ballot… \d+%/.test(document.getElementById('progress-label').textContent)`)
		tab.expectText(`#submit`, "Sending your vote…")
		tab.screenshot("ballot-progress.png", false)
		tab.navigate("about:blank") // ends the worker, which would hash for seconds more
	})

	t.Run("organiser closes the poll; the ballot says so", func(t *testing.T) {
		voter := b.tab(t, phone, "en-US")
		voter.navigate(ballotURL)
		voter.waitTrue(ballotReady)
		voter.waitTrue(`document.getElementById('notice').textContent === ''`)

		org := b.tab(t, desktop, "en-US")
		org.navigate(p.url + "/organiser/" + builtinPoll)
		org.waitTrue(`!document.getElementById('login-box').hidden`)
		org.sendKeys(`#token`, organiser+"\r")
		org.waitTrue(`!document.getElementById('console').hidden`)
		org.expectText(`#status`, "open")
		org.expectText(`#results`, "hidden")
		// The organiser sees the tally while results are hidden: 4 ballots so far.
		org.waitTrue(`document.querySelectorAll('#tally li').length === 15`)
		org.waitTrue(`document.getElementById('ballots').textContent === '4'`)
		org.expectText(`#tally li[data-id=kazan] .b-num`, "2")
		// The fraud panel: a ballot held for review (an HTTP library's User-Agent), listed with its
		// choice; Release, confirmed, counts it.
		setDifficulty(t, p.url, 0)
		receipt := castHeldVote(t, p.url, "gwangju")
		setDifficulty(t, p.url, 2000)
		org.waitTrue(`!document.getElementById('fraud-body').hidden && document.querySelector('#fraud-body pre') === null`)
		org.waitTrue(`document.querySelectorAll('#held-list > li').length === 1`)
		org.expectText(`#f-held`, "1")
		org.expectText(`#held-list > li .held-receipt`, receipt)
		org.waitTrue(`document.querySelector('#held-list > li .choices').textContent.includes('Gwangju')`)
		org.waitTrue(`[...document.querySelectorAll('#f-signals tbody tr')].some(r => r.cells[0].textContent === 'tool_agent' && r.cells[1].textContent === '1')`)
		org.expectText(`#f-held-attempts`, "1")
		org.waitTrue(`!document.getElementById('f-sources').textContent.includes('No ballot in this period.')`)
		org.screenshot("organiser.png", true)
		org.checkAccessible("organiser")
		org.elementShot("organiser-fraud.png", `#fraud`)
		org.click(`#lang`) // the panel in Chinese, and back
		org.expectText(`#h-held-list`, "暂扣的选票")
		org.expectText(`#held-list > li [data-action=release]`, "放行")
		org.waitTrue(`document.querySelector('#held-list > li .choices').textContent.includes('光州')`)
		org.elementShot("organiser-fraud-zh.png", `#fraud`)
		org.checkAccessible("organiser in Chinese")
		org.click(`#lang`)
		org.expectText(`#h-held-list`, "Held ballots")
		ballots := getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", organiser)["counted"]
		org.click(`#held-list > li [data-action=release]`)
		org.waitTrue(`document.getElementById('confirm').open`)
		org.expectText(`#confirm-title`, "Release this ballot?")
		org.click(`#confirm-ok`)
		org.waitTrue(`!document.getElementById('confirm').open`)
		org.expectText(`#announce`, "Ballot "+receipt+" released: it is counted.")
		org.waitTrue(`document.querySelectorAll('#held-list > li').length === 0 && !document.getElementById('held-empty').hidden`)
		org.expectText(`#f-held`, "0")
		org.expectText(`#held`, "0")
		res := getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", organiser)
		if res["counted"] != ballots.(float64)+1 || res["held"] != 0.0 {
			t.Errorf("after Release: counted %v (before %v), held %v", res["counted"], ballots, res["held"])
		}
		// Two more held ballots: "Release all listed", confirmed, counts both in one request.
		setDifficulty(t, p.url, 0)
		castHeldVote(t, p.url, "kampala")
		castHeldVote(t, p.url, "kampala")
		setDifficulty(t, p.url, 2000)
		org.waitTrue(`document.querySelectorAll('#held-list > li').length === 2 && !document.getElementById('held-bulk').hidden`)
		org.expectText(`#release-all`, "Release all 2 listed")
		org.elementShot("organiser-held-bulk.png", `#fraud`)
		org.click(`#release-all`)
		org.waitTrue(`document.getElementById('confirm').open`)
		org.expectText(`#confirm-title`, "Release all 2 listed ballots?")
		org.click(`#confirm-ok`)
		org.expectText(`#announce`, "2 ballots released: they are counted.")
		org.waitTrue(`document.querySelectorAll('#held-list > li').length === 0 && document.getElementById('held-bulk').hidden`)
		res = getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", organiser)
		if res["counted"] != ballots.(float64)+3 || res["held"] != 0.0 {
			t.Errorf("after Release all: counted %v (before both releases %v), held %v", res["counted"], ballots, res["held"])
		}
		// Trusted subnets: a bad one gets a sentence; a good one is listed, then removed.
		org.sendKeys(`#subnet`, "203.0.113.0/4\r")
		org.waitTrue(`document.getElementById('fraud-error').textContent.startsWith('“203.0.113.0/4” is not a subnet this server accepts.')`)
		org.waitTrue(`(document.getElementById('subnet').value = '') === ''`)
		org.sendKeys(`#subnet`, "203.0.113.7/24\r")
		org.expectText(`#trusted-list li code`, "203.0.113.0/24")
		org.expectText(`#fraud-error`, "")
		org.click(`#trusted-list li button`)
		org.waitTrue(`document.getElementById('confirm').open`)
		org.expectText(`#confirm-title`, "Stop trusting 203.0.113.0/24?")
		org.click(`#confirm-ok`)
		org.waitTrue(`document.querySelectorAll('#trusted-list li').length === 0 && !document.getElementById('trusted-empty').hidden`)
		if list := getJSON(t, p.url+"/api/v1/admin/polls/"+builtinPoll+"/trusted", organiser)["trusted"]; len(list.([]any)) != 0 {
			t.Errorf("trusted subnets after Remove: %v", list)
		}
		if loc := org.location(); strings.Contains(loc, organiser) {
			t.Errorf("the token is in the organiser page's URL: %s", loc)
		}

		// Proof-of-work difficulty, live.
		org.do(chromedp.SetValue(chromedp.CSS(`#difficulty`), "60000"))
		org.click(`#pow-form button`)
		org.waitTrue(`document.getElementById('pow-status').textContent.startsWith('Difficulty is now 60,000.')`)
		if d := getJSON(t, p.url+"/api/v1/polls/"+builtinPoll, "")["difficulty"]; d != 60000.0 {
			t.Errorf("difficulty after Set on the console: %v", d)
		}

		org.click(`button[data-value=closed]`)
		org.waitTrue(`document.getElementById('confirm').open`)
		org.expectText(`#confirm-title`, "Close voting?")
		org.screenshot("organiser-confirm.png", false)
		org.checkAccessible("organiser's confirmation")
		org.click(`#confirm-ok`)
		org.waitTrue(`!document.getElementById('confirm').open`)
		org.expectText(`#status`, "closed")

		voter.expectText(`#notice`, "Voting is closed. Thank you for your interest.")
		voter.waitTrue(`document.getElementById('submit').disabled && document.getElementById('fields').disabled`)
		voter.screenshot("ballot-closed.png", false)
		voter.checkAccessible("closed ballot")
		late := b.tab(t, phone, "zh-CN")
		late.navigate(ballotURL)
		late.expectText(`#notice`, "投票已结束，感谢您的关注。")
		if res := getJSON(t, p.url+"/api/v1/polls/"+builtinPoll, ""); res["status"] != "closed" {
			t.Errorf("after Close on the console the poll is %v", res["status"])
		}
	})
}

// testScreen covers the big screen on Redis: the count rising, no tally while hidden (neither in
// its DOM nor in what it receives), recovery after the server restarts, the staged reveal an
// organiser triggers from the screen's keyboard, and the live page's results.
func testScreen(t *testing.T, b *browser) {
	redis := votetest.StartRedis(t, "--appendonly", "yes")
	vars := map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
		"LIVEVOTE_REDIS_URL": redis.URL(), "LIVEVOTE_PUBLIC_URL": "https://vote.example.org/",
	}
	p := startProgram(t, "127.0.0.1:0", vars)

	tab := b.tab(t, bigScreen, "en-US")
	frames := tab.recordFrames()
	tab.navigate(p.url + "/screen/" + builtinPoll + "#token=" + organiser)
	tab.waitTrue(`document.getElementById('title-zh').textContent.includes('广州')`)
	tab.waitTrue(`document.querySelector('#qr svg') !== null`)
	tab.expectText(`#url`, "vote.example.org/vote/"+builtinPoll)
	tab.expectText(`#count`, "0")
	if loc := tab.location(); strings.Contains(loc, organiser) {
		t.Errorf("the token stayed in the screen's URL: %s", loc)
	}

	for _, c := range []string{"xianning", "xianning", "kazan"} {
		castVote(t, p.url, c)
	}
	tab.expectText(`#count`, "3")
	tab.waitTrue(`!document.getElementById('rate-box').hidden && document.getElementById('rate').textContent !== '0'`)
	noTally := func(when string) {
		t.Helper()
		if n := evaluate[int](tab, `document.querySelectorAll('#bars li, .b-num').length`); n != 0 {
			t.Errorf("%s: %d result rows in the screen's DOM while results are hidden", when, n)
		}
		for _, f := range frames.all() {
			if strings.Contains(f, "tally") {
				t.Errorf("%s: the screen received a tally while results are hidden: %s", when, f)
			}
		}
	}
	noTally("after 3 votes")
	tab.screenshot("screen-participation.png", false)
	tab.checkAccessible("big screen")

	// The server restarts: the screen keeps its numbers, marks the lost connection, and recovers.
	addr := strings.TrimPrefix(p.url, "http://")
	p.stop()
	tab.waitTrue(`!document.getElementById('conn').hidden`)
	tab.expectText(`#count`, "3")
	tab.screenshot("screen-reconnecting.png", false)
	p = startProgram(t, addr, vars)
	tab.waitTrue(`document.getElementById('conn').hidden`)
	castVote(t, p.url, "bogota")
	tab.expectText(`#count`, "4")
	noTally("after the restart")

	// A phone in the hall watches the live page; both pages note when each place first shows.
	livePage := b.tab(t, phone, "en-US")
	livePage.navigate(p.url + "/live/" + builtinPoll)
	livePage.expectText(`#ballots`, "4")
	evaluate[bool](tab, watchPlaces)
	evaluate[bool](livePage, watchPlaces)

	// A careless reveal is stopped: with a ballot held for review, R shows the checklist, whose
	// Reveal stays disabled until the organiser ticks that they reveal without it.
	setDifficulty(t, p.url, 0)
	castHeldVote(t, p.url, "kazan")
	tab.expectText(`#count`, "5")
	results := func() map[string]any { return getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", "") }
	tab.keys("r")
	tab.waitTrue(`document.getElementById('check').open && document.getElementById('check-list').textContent.includes('1 暂扣待审核 · held for review') && document.getElementById('check-list').textContent.includes('截止后审计：未运行 · Audit since the close: not run')`)
	tab.waitTrue(`document.getElementById('check-go').disabled && !document.getElementById('check-confirm-row').hidden`)
	tab.screenshot("screen-checklist.png", false)
	tab.keys(kb.Enter) // the default button is disabled: nothing happens
	tab.keys(kb.Escape)
	tab.waitTrue(`!document.getElementById('check').open`)
	if r := results()["results"]; r != "hidden" {
		t.Fatalf("the checklist let a careless reveal through: results %v", r)
	}
	tab.keys("r")
	tab.waitTrue(`document.getElementById('check').open`)
	tab.click(`#check-confirm`)
	tab.click(`#check-go`)
	tab.waitTrue(`document.body.classList.contains('mode-results') && document.getElementById('stage-note').textContent.includes('3 places to come')`)
	if r := results(); r["results"] != "revealed" || r["withheld"] != 3.0 || len(r["tally"].(map[string]any)) != 0 {
		t.Fatalf("after the confirmed reveal the public results are %v", r)
	}

	// The presenter steps through the places (12 without a vote, the tie of Bogotá and Kazan, then
	// Xianning); the phone never shows a place before the screen.
	for i, rows := range []int{12, 14, 15} {
		tab.keys([]string{" ", kb.ArrowRight, kb.PageDown}[i]) // as clickers send
		tab.waitTrue(fmt.Sprintf(`document.querySelectorAll('#bars li').length === %d`, rows))
		livePage.waitTrue(fmt.Sprintf(`document.querySelectorAll('#bars li').length === %d`, rows))
		if i == 1 {
			if n := evaluate[int](tab, `document.querySelectorAll('#bars li.leader').length`); n != 0 {
				t.Errorf("a leader is marked while the first place is withheld")
			}
			tab.keys(kb.ArrowLeft) // back: the tie is taken back, on the phone too
			tab.waitTrue(`document.querySelectorAll('#bars li').length === 12`)
			livePage.waitTrue(`document.querySelectorAll('#bars li').length === 12`)
			tab.keys(" ")
			tab.waitTrue(`document.querySelectorAll('#bars li').length === 14`)
		}
	}
	screenSaw := evaluate[map[string]float64](tab, `window.seen`)
	phoneSaw := evaluate[map[string]float64](livePage, `window.seen`)
	for id, at := range phoneSaw {
		if s, ok := screenSaw[id]; !ok || at < s {
			t.Errorf("the phone showed %s at %.0f, the screen at %.0f (shown: %v)", id, at, s, ok)
		}
	}
	if len(phoneSaw) != 15 {
		t.Errorf("the phone saw %d places, want 15", len(phoneSaw))
	}
	tab.expectText(`#bars li.leader .b-name`, "咸宁 Xianning")
	tab.waitTrue(`document.querySelectorAll('#bars li.leader').length === 1`)
	tab.expectText(`#bars li[data-id=kazan] .b-num`, "1")
	tab.screenshot("screen-results.png", false)
	tab.checkAccessible("big screen with results")
	revealed := false
	for _, f := range frames.all() {
		revealed = revealed || strings.Contains(f, `"results":"revealed"`) && strings.Contains(f, `"xianning":2`)
	}
	if !revealed {
		t.Errorf("the screen received no revealed tally; frames: %v", frames.all())
	}

	livePage.expectText(`#ballots`, "5")
	livePage.expectText(`#bars li.leader .b-name`, "Xianning")
	livePage.waitTrue(`!document.getElementById('winner').hidden && document.getElementById('w-names').textContent.includes('Xianning')`)
	livePage.waitTrue(`document.querySelector('#chart-minute svg rect') !== null`)
	livePage.screenshot("live.png", true)
	livePage.checkAccessible("live page")
}

// watchPlaces notes in window.seen when each candidate's row first shows in #bars (Date.now(),
// one clock for every tab of the browser).
const watchPlaces = `(() => {
	window.seen = {};
	const note = () => { for (const li of document.querySelectorAll('#bars li')) window.seen[li.dataset.id] ??= Date.now(); };
	new MutationObserver(note).observe(document.getElementById('bars'), { childList: true, subtree: true });
	note();
	return true;
})()`

// program is the livevote program running in this test process.
type program struct {
	url  string
	stop func()
}

// startProgram runs the program on addr (127.0.0.1:0 for any port) with the environment vars,
// and stops it when the test ends (or at stop).
func startProgram(t *testing.T, addr string, vars map[string]string) *program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := newLineWriter(), newLineWriter()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"livevote", "-addr", addr, "-metrics-addr", ""}, getenv(vars), out, errs)
	}()
	select {
	case err := <-done:
		cancel()
		t.Fatalf("the program ended at start: %v\n%s", err, errs)
	case <-time.After(50 * time.Millisecond):
	}
	url := out.waitAddr(t)
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the program ended with %v\n%s", err, errs)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("the program did not stop")
		}
	})
	t.Cleanup(stop)
	return &program{url: url, stop: stop}
}

// phoneHeaders are what a phone's browser sends with every request.
var phoneHeaders = http.Header{
	"User-Agent":      {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"},
	"Accept-Language": {"zh-CN,zh;q=0.9,en;q=0.8"},
}

// newClient is a new browser of the program at base, through the project's API client.
func newClient(t *testing.T, base string, o apiclient.Options) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(base, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// castVote votes for candidate as a new voter with a phone, through the API, solving the
// proof-of-work.
func castVote(t *testing.T, base, candidate string) {
	t.Helper()
	if _, err := newClient(t, base, apiclient.Options{Header: phoneHeaders}).Cast(t.Context(), builtinPoll, candidate); err != nil {
		t.Fatalf("vote for %s: %v", candidate, err)
	}
}

// setDifficulty sets the built-in poll's proof-of-work difficulty, as an organiser.
func setDifficulty(t *testing.T, base string, n int) {
	t.Helper()
	if err := newClient(t, base, apiclient.Options{Token: organiser}).SetDifficulty(t.Context(), builtinPoll, n); err != nil {
		t.Fatalf("set difficulty %d: %v", n, err)
	}
}

// castHeldVote votes for candidate as a new voter with an HTTP library's User-Agent (the
// tool_agent signal: held for review under the built-in poll's policy), at difficulty 0, and
// answers the receipt.
func castHeldVote(t *testing.T, base, candidate string) string {
	t.Helper()
	c := newClient(t, base, apiclient.Options{Header: http.Header{"User-Agent": {"python-requests/2.31"}, "Accept-Language": {"en"}}})
	if _, err := c.Poll(t.Context(), builtinPoll); err != nil {
		t.Fatal(err)
	}
	r, err := c.Vote(t.Context(), builtinPoll, apiclient.Ballot{Choices: []string{candidate}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Receipt == "" {
		t.Fatal("the held vote got no receipt")
	}
	return r.Receipt
}

// getJSON answers the JSON object at the program's URL u (with the organiser token when given).
func getJSON(t *testing.T, u, token string) map[string]any {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	var header http.Header
	if token != "" {
		header = http.Header{"Authorization": {"Bearer " + token}}
	}
	res, err := newClient(t, p.Scheme+"://"+p.Host, apiclient.Options{}).Do(t.Context(), "GET", p.RequestURI(), nil, header)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal(res.Body, &out)
	return out
}

func sameOrigin(u, base string) bool {
	a, err1 := url.Parse(u)
	b, err2 := url.Parse(base)
	return err1 == nil && err2 == nil && a.Host == b.Host && (a.Scheme == b.Scheme || a.Scheme == "ws")
}

// browser is one headless Chromium shared by the browser tests.
type browser struct{ ctx context.Context }

// chromiumFlags are what headless Chromium needs here: no sandbox as root, and nothing that
// reaches for the network on its own (the network is closed; those requests would stall it).
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("hide-scrollbars", true),
	chromedp.Flag("mute-audio", true),
	chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider"),
	// The tests play voters on their phones, whose browsers report navigator.webdriver false
	// (true would hold every ballot for review: the fraud checks read it from the page).
	chromedp.Flag("enable-automation", false),
	chromedp.Flag("disable-blink-features", "AutomationControlled"),
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{os.Getenv("LIVEVOTE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); name != "" && err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("LIVEVOTE_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium found (apt-get install chromium) and LIVEVOTE_REQUIRE_BROWSER=1")
		}
		t.Skip("no Chromium found: install Debian's chromium to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()))
	opts = append(opts, chromiumFlags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := start(ctx, 30*time.Second); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return &browser{ctx: ctx}
}

// start runs the first action on a chromedp context (which starts the browser or opens the tab),
// giving up after limit. The first action binds the browser or the tab to the context it runs
// with, so it cannot run with a timeout of its own.
func start(ctx context.Context, limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		return fmt.Errorf("no answer in %v", limit)
	}
}

// viewport is a device the tests emulate.
type viewport struct {
	w, h   int64
	scale  float64
	mobile bool
}

var (
	phone     = viewport{360, 780, 2, true}
	desktop   = viewport{1280, 900, 1, false}
	bigScreen = viewport{1920, 1080, 1, false}
)

// tab is one page in its own browser context (its own cookies: a new voter), or sharing one.
type tab struct {
	t      *testing.T
	ctx    context.Context
	vp     viewport
	loc    string
	errors *frameLog // the page's uncaught exceptions and console errors
}

// tab opens a tab in a fresh browser context, with the device and language given.
func (b *browser) tab(t *testing.T, vp viewport, locale string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return newTab(t, ctx, vp, locale)
}

// sameVoter opens another tab in the same browser context: the same cookies, the same voter.
func (tb *tab) sameVoter(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(tb.ctx)
	t.Cleanup(cancel)
	return newTab(t, ctx, tb.vp, tb.loc)
}

func newTab(t *testing.T, ctx context.Context, vp viewport, locale string) *tab {
	t.Helper()
	tb := &tab{t: t, ctx: ctx, vp: vp, loc: locale, errors: &frameLog{}}
	if err := start(ctx, stepTimeout); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	logs := chromedp.Events(ctx, log.EntryAdded)
	go func() {
		for ev, err := range logs {
			if err != nil {
				return
			}
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				tb.errors.add(string(ev.Entry.Source) + ": " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		}
	}()
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("runtime.enable: %v", err)
	}
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			tb.errors.add(ev.ExceptionDetails.Text + " " + string(exceptionDescription(ev.ExceptionDetails)))
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				tb.errors.add("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		}
	}()
	ua := evaluate[string](tb, `navigator.userAgent`)
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.scale)}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	tb.do(chromedp.EmulateViewport(vp.w, vp.h, opts...),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(locale, "-", "_")}); err != nil {
				return err
			}
			lang, _, _ := strings.Cut(locale, "-")
			_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
				UserAgent: strings.ReplaceAll(ua, "HeadlessChrome", "Chrome"), AcceptLanguage: locale + "," + lang,
			})
			return err
		}))
	return tb
}

// do runs actions with the step timeout; a failure ends the test with what the page shows.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fail("%v", err)
	}
}

func evaluate[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// fail ends the test, saving a screenshot of the tab and printing its text.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	name := "FAILED-" + strings.NewReplacer("/", "_", " ", "_").Replace(tb.t.Name()) + ".png"
	if img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		os.WriteFile(filepath.Join(screenshotDir, name), img, 0o644)
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	tb.t.Fatalf(format+"\n(screenshot %s; errors in the page: %q; the page says:)\n%s", append(args, name, tb.errors.all(), body)...)
}

func (tb *tab) navigate(u string) { tb.t.Helper(); tb.do(chromedp.Navigate(u)) }
func (tb *tab) reload()           { tb.t.Helper(); tb.do(chromedp.Reload()) }

// click clicks the element, scrolled to the middle of the screen first (as a person would, clear of
// the ballot's sticky Submit bar).
func (tb *tab) click(sel string) {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	tb.waitTrue(fmt.Sprintf(`(e => e && (e.scrollIntoView({block: 'center'}), true))(document.querySelector(%s))`, q))
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}
func (tb *tab) sendKeys(sel, keys string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.CSS(sel), keys, chromedp.NodeVisible))
}

// keys presses keys on whatever has the focus.
func (tb *tab) keys(keys ...string) {
	tb.t.Helper()
	for _, k := range keys {
		tb.do(chromedp.KeyEvent(k))
	}
}

// press presses key as a keyboard does: one keyDown that carries the key's text, so that a page
// that cancels the keydown types nothing (as in a browser), and a keyUp. (KeyEvent sends the
// text in a char event of its own, which cancelling the keydown does not stop.)
func (tb *tab) press(key rune) {
	tb.t.Helper()
	tb.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		events := kb.Encode(key)
		var text string
		for _, k := range events {
			if k.Type == kb.KeyChar {
				text = k.Text
			}
		}
		for _, k := range events {
			switch k.Type {
			case kb.KeyChar:
				continue
			case kb.KeyDown:
				k.Text, k.UnmodifiedText = text, text
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (tb *tab) location() string {
	tb.t.Helper()
	return evaluate[string](tb, `location.href`)
}

// waitTrue waits until the JavaScript expression is true.
func (tb *tab) waitTrue(expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
		if err == nil {
			return
		}
		// A navigation under way replaces the page's JavaScript context: wait in the new one.
		if ctx.Err() == nil && (strings.Contains(err.Error(), "context") || strings.Contains(err.Error(), "navigated")) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		tb.fail("waiting for %s: %v", expr, err)
	}
}

// expectText waits until the element's text is want.
func (tb *tab) expectText(sel, want string) {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	w, _ := json.Marshal(want)
	tb.waitTrue(fmt.Sprintf(`(e => e && e.textContent.trim() === %s)(document.querySelector(%s))`, w, q))
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	return evaluate[string](tb, fmt.Sprintf(`document.querySelector(%s).textContent`, q))
}

// screenshot saves the viewport (or the whole page) as a PNG in screenshotDir, once what moves on
// the page has come to rest.
func (tb *tab) screenshot(name string, full bool) {
	tb.t.Helper()
	action := chromedp.CaptureScreenshot()
	if full {
		action = chromedp.FullScreenshot(100)
	}
	tb.save(name, action)
}

// elementShot saves the element sel alone as a PNG in screenshotDir, once what moves on the page
// has come to rest.
func (tb *tab) elementShot(name, sel string) {
	tb.t.Helper()
	tb.save(name, chromedp.Screenshot(chromedp.CSS(sel)))
}

// save waits until what moves on the page has come to rest, then takes the capture and writes it
// to screenshotDir as name; with LIVEVOTE_SCREENSHOTS=off (.ci/run: its checkout is thrown away,
// and the captures cost it about a minute) it only waits.
func (tb *tab) save(name string, capture chromedp.Action[[]byte]) {
	tb.t.Helper()
	tb.waitTrue(`document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity)`)
	if os.Getenv("LIVEVOTE_SCREENSHOTS") == "off" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	img, err := chromedp.Run(ctx, capture)
	if err != nil {
		tb.fail("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name), img, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// contrastJS lists the visible texts of the page whose contrast with their background is under
// WCAG AA: 4.5:1, or 3:1 for large text (24px, or 18.66px bold). Text of disabled controls is
// exempt. Backgrounds are the colours behind the text, blended; a background image (the big
// screen's gradient) counts by its colour underneath.
const contrastJS = `(() => {
	const parse = (c) => {
		const m = c.match(/rgba?\(([^)]+)\)/);
		if (!m) return null;
		const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
		return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
	};
	const over = (top, under) => ({
		r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
		b: top.b * top.a + under.b * (1 - top.a), a: 1,
	});
	const lum = ({ r, g, b }) => {
		const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
	};
	const background = (el) => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const c = parse(getComputedStyle(e).backgroundColor);
			if (c && c.a > 0) layers.push(c);
			if (c && c.a === 1) break;
		}
		let bg = { r: 255, g: 255, b: 255, a: 1 };
		for (const c of layers.reverse()) bg = over(c, bg);
		return bg;
	};
	const bad = [];
	for (const el of document.querySelectorAll('body *')) {
		if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
		if (el.closest(':disabled, [aria-disabled=true], [hidden], dialog:not([open])')) continue;
		const box = el.getBoundingClientRect();
		if (box.width * box.height < 9 || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
		const cs = getComputedStyle(el);
		const bg = background(el);
		const fg = over(parse(cs.color), bg);
		const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
		const ratio = (hi + 0.05) / (lo + 0.05);
		const size = parseFloat(cs.fontSize);
		const large = size >= 24 || (size >= 18.66 && parseInt(cs.fontWeight, 10) >= 700);
		if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
	}
	return bad;
})()`

// checkAccessible fails the test for every text on the page under WCAG AA contrast, and for every
// violation axe-core finds (the script named by LIVEVOTE_AXE, which .ci/run installs from npm; the
// pages hold no third-party code, so the test injects it). Without LIVEVOTE_AXE only the contrast
// is checked, unless LIVEVOTE_REQUIRE_BROWSER is set: then it fails.
func (tb *tab) checkAccessible(page string) {
	tb.t.Helper()
	for _, bad := range evaluate[[]string](tb, contrastJS) {
		tb.t.Errorf("%s: contrast under WCAG AA: %s", page, bad)
	}
	file := os.Getenv("LIVEVOTE_AXE")
	if file == "" {
		if os.Getenv("LIVEVOTE_REQUIRE_BROWSER") != "" {
			tb.t.Fatal("LIVEVOTE_AXE is not set: the accessibility check needs axe-core (npm install axe-core)")
		}
		return
	}
	src, err := os.ReadFile(file)
	if err != nil {
		tb.t.Fatalf("LIVEVOTE_AXE: %v", err)
	}
	evaluate[bool](tb, string(src)+";true")
	got := evaluate[struct {
		Passes     int      `json:"passes"`
		Violations []string `json:"violations"`
	}](tb, `axe.run(document).then((r) => ({passes: r.passes.length,
		violations: r.violations.map((v) => v.id + ': ' + v.help + ' ' + v.nodes.map((n) => n.target.join(' ')).join(', '))}))`)
	tb.t.Logf("%s: axe: %d rules passed, %d violated", page, got.Passes, len(got.Violations))
	for _, v := range got.Violations {
		tb.t.Errorf("%s: axe: %s", page, v)
	}
}

// beforeScripts runs script in every document of the tab before the page's own scripts.
func (tb *tab) beforeScripts(script string) {
	tb.t.Helper()
	tb.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
}

// netLog collects the requests of a tab and the bytes they took over the wire.
type netLog struct {
	mu    sync.Mutex
	urls  []string
	bytes float64
}

func (n *netLog) summary() (int, []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return int(n.bytes), append([]string(nil), n.urls...)
}

// recordNetwork collects, from now on, every request the tab makes (WebSockets included) and the
// bytes each took over the wire (headers and compressed bodies).
func (tb *tab) recordNetwork() *netLog {
	n := &netLog{}
	reqs := chromedp.Events(tb.ctx, network.RequestWillBeSent)
	sockets := chromedp.Events(tb.ctx, network.WebSocketCreated)
	finished := chromedp.Events(tb.ctx, network.LoadingFinished)
	go func() {
		for ev, err := range reqs {
			if err != nil {
				return
			}
			n.mu.Lock()
			n.urls = append(n.urls, ev.Request.URL)
			n.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range sockets {
			if err != nil {
				return
			}
			n.mu.Lock()
			n.urls = append(n.urls, ev.URL)
			n.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range finished {
			if err != nil {
				return
			}
			n.mu.Lock()
			n.bytes += ev.EncodedDataLength
			n.mu.Unlock()
		}
	}()
	return n
}

// frameLog collects the WebSocket messages a tab receives.
type frameLog struct {
	mu     sync.Mutex
	frames []string
}

func (f *frameLog) add(s string) {
	f.mu.Lock()
	f.frames = append(f.frames, s)
	f.mu.Unlock()
}

func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

func (f *frameLog) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.frames...)
}

func (tb *tab) recordFrames() *frameLog {
	f := &frameLog{}
	frames := chromedp.Events(tb.ctx, network.WebSocketFrameReceived)
	go func() {
		for ev, err := range frames {
			if err != nil {
				return
			}
			f.mu.Lock()
			f.frames = append(f.frames, string(ev.Response.PayloadData))
			f.mu.Unlock()
		}
	}()
	return f
}

// chooseLang picks language tag in the page's language switch (a <select>), as a person does.
func (tb *tab) chooseLang(tag string) {
	tb.t.Helper()
	tb.waitTrue(fmt.Sprintf(`!!document.querySelector('#lang option[value=%q]')`, tag))
	evaluate[bool](tb, fmt.Sprintf(`(s => { s.focus(); s.value = %q; return s.dispatchEvent(new Event('change')); })(document.getElementById('lang'))`, tag))
}
