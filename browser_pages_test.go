package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/livevote/livevote/internal/apiclient"
)

// Browser tests of the pages as their audiences see them (issue 13): the big screen at 16:9 and
// 4:3 through a whole reveal, the ballot on a slow and a dropped network and with large text, the
// receipt check, the live page, and the "not found" page.

var (
	screen43 = viewport{1024, 768, 1, false}
	phone390 = viewport{390, 844, 2, true}
	phone320 = viewport{320, 568, 2, true}
)

func TestBrowserPages(t *testing.T) {
	b := newBrowser(t)
	os.MkdirAll(screenshotDir, 0o755)
	t.Run("screen names whole at 16:9, 720p and 4:3", func(t *testing.T) { testScreenNamesWhole(t, b) })
	t.Run("screen shows nothing for the operator", func(t *testing.T) { testScreenOperator(t, b) })
	t.Run("screen reveals from live at once; ties; final wording", func(t *testing.T) { testScreenRevealFromLive(t, b) })
	t.Run("screen wears the poll's branding", func(t *testing.T) { testScreenBranding(t, b) })
	t.Run("ballot on slow 3G", func(t *testing.T) { testBallotSlow3G(t, b) })
	t.Run("ballot: one tap after a network drop", func(t *testing.T) { testBallotNetworkDrop(t, b) })
	t.Run("ballot: paused while choosing", func(t *testing.T) { testBallotPaused(t, b) })
	t.Run("ballot at 320 px and 200% text", func(t *testing.T) { testBallotLargeText(t, b) })
	t.Run("receipt: what a person types", func(t *testing.T) { testReceiptTyped(t, b) })
	t.Run("HTML 404s", func(t *testing.T) { testNotFoundPages(t, b) })
	t.Run("live page", func(t *testing.T) { testLivePage(t, b) })
	t.Run("screenshots of every page", func(t *testing.T) { testScreenshots(t, b) })
	t.Run("the night at three sizes", func(t *testing.T) { testNight(t, b) })
	t.Run("the small vote is final within 15 s of the close", func(t *testing.T) { testSmallVoteFinal(t, b) })
}

// startPages runs the program with the built-in ballot at a small proof-of-work difficulty.
func startPages(t *testing.T, vars ...string) *program {
	t.Helper()
	env := map[string]string{"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret"}
	for i := 0; i+1 < len(vars); i += 2 {
		env[vars[i]] = vars[i+1]
	}
	p := startProgram(t, "127.0.0.1:0", env)
	setDifficulty(t, p.url, 2000)
	return p
}

// adminPost posts body to the organiser's API path what of the built-in poll (status, results).
func adminPost(t *testing.T, base, what, body string) {
	t.Helper()
	res, err := newClient(t, base, apiclient.Options{}).Do(t.Context(), "POST", "/api/v1/admin/polls/"+builtinPoll+"/"+what, []byte(body),
		http.Header{"Authorization": {"Bearer " + organiser}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("POST %s %s: %d %s", what, body, res.Status, res.Body)
	}
}

// castVotes casts n[i] votes for candidate[i].
func castVotes(t *testing.T, base string, votes map[string]int) {
	t.Helper()
	for c, n := range votes {
		for range n {
			castVote(t, base, c)
		}
	}
}

// clippedJS lists the visible elements matching a selector whose text is not whole on the screen:
// its line boxes leave the viewport, an ancestor that clips (overflow other than visible), or the
// list row (li) it is in; or an ancestor cuts it with an ellipsis.
const clippedJS = `((sel) => {
	const bad = [];
	for (const e of document.querySelectorAll(sel)) {
		if (!e.checkVisibility() || !e.textContent.trim()) continue;
		const range = document.createRange();
		range.selectNodeContents(e);
		const rects = [...range.getClientRects()].filter((r) => r.width > 0);
		if (!rects.length) continue;
		const box = { l: Math.min(...rects.map((r) => r.left)), r: Math.max(...rects.map((r) => r.right)),
			t: Math.min(...rects.map((r) => r.top)), b: Math.max(...rects.map((r) => r.bottom)) };
		const name = e.className + ' "' + e.textContent.trim().slice(0, 40) + '"';
		const out = (r) => box.l < r.left - 1 || box.r > r.right + 1 || box.t < r.top - 1 || box.b > r.bottom + 1;
		// (A page that scrolls may go on below the screen, never beside it.)
		const scrolls = document.documentElement.scrollHeight > innerHeight;
		if (out({ left: 0, top: scrolls ? -Infinity : 0, right: innerWidth, bottom: scrolls ? Infinity : innerHeight })) bad.push(name + ' leaves the screen');
		const row = e.closest('li');
		if (row && out(row.getBoundingClientRect())) bad.push(name + ' leaves its row');
		for (let a = e; a && a !== document.documentElement; a = a.parentElement) {
			const cs = getComputedStyle(a);
			if (cs.display === 'contents') continue; // no box of its own: it clips nothing
			if ((cs.overflowX !== 'visible' || cs.overflowY !== 'visible') && out(a.getBoundingClientRect())) bad.push(name + ' is clipped by ' + a.tagName + '.' + a.className);
			if (cs.textOverflow === 'ellipsis' && a.scrollWidth > a.clientWidth + 1) bad.push(name + ' is cut by an ellipsis in ' + a.className);
		}
	}
	return bad;
})`

// expectWhole fails the test for every element of sel whose text is not whole on the screen.
func (tb *tab) expectWhole(what, sel string) {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	for _, bad := range evaluate[[]string](tb, clippedJS+"("+string(q)+")") {
		tb.t.Errorf("%s: %s", what, bad)
	}
}

// visibleText is the text the page shows (hidden elements left out).
func (tb *tab) visibleText() string {
	tb.t.Helper()
	return evaluate[string](tb, `document.body.innerText`)
}

// builtinNames are the city and initiative names of the built-in ballot in both languages.
func builtinNames(t *testing.T, base string) []string {
	t.Helper()
	var names []string
	for _, c := range getJSON(t, base+"/api/v1/polls/"+builtinPoll, "")["candidates"].([]any) {
		m := c.(map[string]any)
		for _, k := range []string{"city", "initiative"} {
			for _, l := range []string{"en", "zh"} {
				names = append(names, m[k].(map[string]any)[l].(string))
			}
		}
	}
	return names
}

func testScreenNamesWhole(t *testing.T, b *browser) {
	p := startPages(t)
	castVotes(t, p.url, map[string]int{"pimpri-chinchwad": 3, "chalandri": 2, "mannheim": 1})
	adminPost(t, p.url, "results", `{"results":"live"}`)
	names := builtinNames(t, p.url)
	for _, vp := range []struct {
		name string
		vp   viewport
	}{{"1920", bigScreen}, {"1280", screen720}, {"1024", screen43}} {
		tab := b.tab(t, vp.vp, "en-US")
		tab.navigate(p.url + "/screen/" + builtinPoll)
		tab.waitTrue(`document.querySelectorAll('#bars li').length === 15`)
		tab.screenshot("screen-results-"+vp.name+".png", false)
		tab.expectWhole("screen "+vp.name, `#bars .b-name, #bars .b-sub, #bars .b-num, #bars .b-share, #bars .b-lead, .s-head h1, .s-head p, .s-side *`)
		shown := tab.visibleText()
		for _, n := range names {
			if !strings.Contains(shown, n) {
				t.Errorf("screen %s: %q is not on the screen", vp.name, n)
			}
		}
		// Sized for the back of a hall: at least 36 px names and 40 px counts on a 1080 px screen.
		sizes := evaluate[[]float64](tab, `[document.querySelector('#bars .b-name'), document.querySelector('#bars .b-num')].map((e) => parseFloat(getComputedStyle(e).fontSize) / innerHeight * 1080)`)
		if vp.name == "1920" && (sizes[0] < 36 || sizes[1] < 40) {
			t.Errorf("screen %s: names %.0f px, counts %.0f px at 1080 px high", vp.name, sizes[0], sizes[1])
		}
		// The whole display, 4:3 and 720p included; the secondary text (the initiatives, the
		// shares, the count's label, the title's second line) at least 2.5% of its height.
		fill := evaluate[[]float64](tab, `[document.getElementById('stage').getBoundingClientRect().height / innerHeight,
			...['#bars .b-sub', '#bars .b-share', '#count-label', '.s-head p'].map((q) => parseFloat(getComputedStyle(document.querySelector(q)).fontSize) / innerHeight)]`)
		if fill[0] < 0.999 || slices.Min(fill[1:]) < 0.025-0.0005 {
			t.Errorf("screen %s: the stage is %.0f%% of the height, the secondary text %.1f%% (want 2.5%%): %v", vp.name, fill[0]*100, slices.Min(fill[1:])*100, fill[1:])
		}
		tab.checkAccessible("big screen with live results " + vp.name)
	}

	// Revealed from live (nothing left to stage): the winner view, whole at both sizes.
	adminPost(t, p.url, "status", `{"status":"closed"}`)
	for _, vp := range []struct {
		name string
		vp   viewport
	}{{"1920", bigScreen}, {"1024", screen43}} {
		tab := b.tab(t, vp.vp, "en-US")
		tab.navigate(p.url + "/screen/" + builtinPoll)
		tab.waitTrue(`document.querySelectorAll('#bars li').length === 15`)
		if vp.name == "1920" {
			adminPost(t, p.url, "results", `{"results":"revealed"}`) // from live: everything was shown already
		}
		tab.waitTrue(`!document.getElementById('winner').hidden`)
		tab.expectText(`#w-kicker`, "获胜者 · The winner")
		tab.waitTrue(`document.querySelector('.w-one[data-id="pimpri-chinchwad"]') && document.getElementById('w-list').textContent.includes('50%')`)
		tab.expectWhole("winner "+vp.name, `#winner p, #winner span`)
		tab.screenshot("screen-winner-"+vp.name+".png", false)
		tab.checkAccessible("winner view " + vp.name)
		tab.keys(" ") // back to the bars, with the final wording
		tab.waitTrue(`!document.getElementById('results').hidden && document.getElementById('winner').hidden`)
		tab.expectText(`#bars li.leader .b-lead`, "获胜\nWinner")
		tab.waitTrue(`(e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length === 1; })(document.getElementById('status'))`) // "Voting closed" on one line
		tab.expectText(`#status`, "投票已结束 · Voting closed")
		tab.screenshot("screen-final-"+vp.name+".png", false)
	}
}

// operatorWords are what the screen says to the organiser only.
var operatorWords = []string{"Organiser", "组织者", "Press R", "R reveal", "Space next", "Token not accepted"}

func testScreenOperator(t *testing.T, b *browser) {
	p := startPages(t)
	tab := b.tab(t, bigScreen, "en-US")
	tab.navigate(p.url + "/screen/" + builtinPoll + "#token=" + organiser)
	tab.waitTrue(`document.querySelector('#qr svg') !== null`)
	noOperatorText := func(when string) {
		t.Helper()
		shown := tab.visibleText()
		for _, w := range operatorWords {
			if strings.Contains(shown, w) {
				t.Errorf("%s: the projected screen shows %q:\n%s", when, w, shown)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // what the page shows right after loading
	noOperatorText("signed in through the link")
	tab.press('r') // the checklist, which Escape closes
	tab.waitTrue(`document.getElementById('check').open`)
	tab.keys(kb.Escape)
	tab.waitTrue(`!document.getElementById('check').open`)
	noOperatorText("after R")
	tab.press('p') // pause: answered in the overlay only
	tab.waitTrue(`document.getElementById('org').textContent.includes('Paused')`)
	noOperatorText("after P")
	tab.press('h') // the overlay, asked for
	tab.waitTrue(`document.getElementById('org').checkVisibility() && document.getElementById('org').innerText.includes('Paused')`)
	tab.screenshot("screen-operator-overlay.png", false)
	tab.press('h')
	tab.waitTrue(`!document.getElementById('org').checkVisibility()`)
	noOperatorText("overlay off again")

	// The QR code asks people to vote only while they can, live results or not (then small,
	// clear of the results).
	qrShown := `document.getElementById('qr-box').checkVisibility()`
	tab.waitTrue(qrShown)
	adminPost(t, p.url, "status", `{"status":"paused"}`)
	tab.waitTrue(`!` + qrShown + ` && document.getElementById('status').textContent === '投票暂停 · Voting paused'`)
	tab.screenshot("screen-paused.png", false)
	adminPost(t, p.url, "status", `{"status":"open"}`)
	tab.waitTrue(qrShown)
	castVotes(t, p.url, map[string]int{"pimpri-chinchwad": 2, "mannheim": 1})
	adminPost(t, p.url, "results", `{"results":"live"}`)
	tab.waitTrue(`document.body.classList.contains('mode-results') && document.querySelectorAll('#bars li').length === 15 && ` + qrShown)
	tab.expectText(`#url`, strings.TrimPrefix(p.url, "http://")+"/vote/"+builtinPoll)
	overlaps := evaluate[[]string](tab, `(() => {
		const q = document.getElementById('qr-box').getBoundingClientRect();
		const hit = (r) => r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom;
		return [...document.querySelectorAll('#bars li, .s-head h1, .s-head p, .s-side')].filter((e) => hit(e.getBoundingClientRect())).map((e) => e.dataset.id || e.className || e.tagName);
	})()`)
	if len(overlaps) > 0 {
		t.Errorf("the QR code covers %v while results are live", overlaps)
	}
	if side := evaluate[float64](tab, `document.querySelector('#qr svg').getBoundingClientRect().width`); side < 100 {
		t.Errorf("the QR code is %.0f px wide at 1920x1080: too small to scan", side)
	}
	tab.screenshot("screen-live-qr.png", false)
	noOperatorText("live results")
}

func testScreenRevealFromLive(t *testing.T, b *browser) {
	p := startPages(t)
	castVotes(t, p.url, map[string]int{"xianning": 2, "kazan": 2, "bogota": 1})
	adminPost(t, p.url, "results", `{"results":"live"}`)
	tab := b.tab(t, bigScreen, "en-US")
	tab.navigate(p.url + "/screen/" + builtinPoll)
	tab.waitTrue(`document.querySelectorAll('#bars li').length === 15`)
	// While voting is open a tie leads, and says so; no winner view before the reveal.
	tab.waitTrue(`document.querySelectorAll('#bars li.leader').length === 2`)
	tab.expectText(`#bars li[data-id=xianning] .b-lead`, "并列领先\nTied lead")
	tab.expectText(`#bars li[data-id=xianning] .b-rank`, "★")
	tab.expectText(`#bars li[data-id=kazan] .b-rank`, "★")

	// Revealed from the console (the API), from live: everything was public, nothing to stage;
	// the winner view follows.
	adminPost(t, p.url, "results", `{"results":"revealed"}`)
	tab.waitTrue(`!document.getElementById('winner').hidden`)
	tab.expectText(`#w-kicker`, "目前并列领先 · Tied for the lead so far")
	tab.waitTrue(`document.querySelectorAll('#w-list .w-one').length === 2`)
	// Closed: the final wording.
	adminPost(t, p.url, "status", `{"status":"closed"}`)
	tab.expectText(`#w-kicker`, "并列第一 · Tied for first place")
	tab.waitTrue(`document.getElementById('w-list').textContent.includes('咸宁') && document.getElementById('w-list').textContent.includes('Kazan')`)
	tab.expectWhole("tie", `#winner p, #winner span`)
	tab.screenshot("screen-winner-tie.png", false)
	tab.checkAccessible("winner view, tie")
	tab.keys(" ")
	tab.expectText(`#bars li[data-id=kazan] .b-lead`, "并列第一\nTied first")
	if shown := tab.visibleText(); strings.Contains(shown, "Leader") || strings.Contains(shown, "领先") {
		t.Errorf("closed, the screen still says Leader:\n%s", shown)
	}
}

func testScreenBranding(t *testing.T, b *browser) {
	dir := t.TempDir()
	// A ballot file beside its logo: the built-in ballot with branding added.
	builtin, err := os.ReadFile("vote/ballotfile/guangzhou-2023.yaml")
	if err != nil {
		t.Fatal(err)
	}
	branded := strings.Replace(string(builtin), "    max_choices: 1\n", "    max_choices: 1\n    branding: {logo: logo.svg, colors: {background: \"#2b0f3a\", accent: \"#7fe0c6\"}}\n", 1)
	os.WriteFile(filepath.Join(dir, "ballot.yaml"), []byte(branded), 0o644)
	os.WriteFile(filepath.Join(dir, "logo.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"><rect width="40" height="20" rx="4" fill="#7fe0c6"/><text x="20" y="14" font-size="10" text-anchor="middle" fill="#2b0f3a">GZA</text></svg>`), 0o644)
	p := startPages(t, "LIVEVOTE_BALLOT", filepath.Join(dir, "ballot.yaml"))
	tab := b.tab(t, bigScreen, "en-US")
	net := tab.recordNetwork()
	tab.navigate(p.url + "/screen/" + builtinPoll)
	tab.waitTrue(`(i => i.complete && i.naturalWidth > 0 && !i.hidden)(document.getElementById('logo'))`)
	tab.waitTrue(`getComputedStyle(document.body).backgroundColor === 'rgb(43, 15, 58)' && getComputedStyle(document.getElementById('count')).color === 'rgb(127, 224, 198)'`)
	tab.screenshot("screen-branded.png", false)
	tab.checkAccessible("branded screen")
	_, urls := net.summary()
	for _, u := range urls {
		if !sameOrigin(u, p.url) {
			t.Errorf("the branded screen made a third-party request: %s", u)
		}
	}
}

// slow3G is the network of a crowded venue: 400 ms latency, about 50 KB/s down, 25 KB/s up.
var slow3G = network.Conditions{Latency: 400, DownloadThroughput: 50 << 10, UploadThroughput: 25 << 10}

// setNetwork applies conditions to every request of the tab.
func (tb *tab) setNetwork(c network.Conditions) {
	tb.t.Helper()
	tb.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{&c}})
		return err
	}))
}

// marksJS records, in the page's own clock (ms from the navigation's start), when the ballot
// could be read and chosen, when a tap on Submit would send at once (the proof of work done), when
// Submit was pressed, and when the receipt showed.
const marksJS = `(() => {
	window.__marks = {};
	const mark = (k, ok) => { if (!(k in window.__marks) && ok()) window.__marks[k] = Math.round(performance.now()); };
	document.addEventListener('submit', () => mark('submit', () => true), true);
	const poll = () => {
		const form = document.getElementById('ballot');
		mark('ballot', () => form && !form.hidden && document.querySelectorAll('input[name=choice]').length > 0);
		mark('ready', () => form && form.dataset.ready === 'true');
		mark('receipt', () => { const r = document.getElementById('receipt'); return r && r.textContent && r.checkVisibility(); });
		if (!('receipt' in window.__marks)) setTimeout(poll, 10);
	};
	poll();
})()`

func testBallotSlow3G(t *testing.T, b *browser) {
	p := startPages(t)
	tab := b.tab(t, phone, "en-US")
	tab.setNetwork(slow3G)
	tab.beforeScripts(marksJS)
	net := tab.recordTimedNetwork()
	tab.navigate(p.url + "/vote/" + builtinPoll)
	tab.waitTrue(`'ready' in window.__marks`)
	tab.click(`label[for=c-kampala]`)
	before := len(net.all())
	tab.click(`#submit`)
	tab.waitTrue(`'receipt' in window.__marks`)
	m := evaluate[map[string]float64](tab, `window.__marks`)
	t.Logf("slow 3G (400 ms, 50 KB/s down): ballot readable and choosable %.0f ms, Submit ready (proof of work done) %.0f ms, Submit to receipt %.0f ms",
		m["ballot"], m["ready"], m["receipt"]-m["submit"])

	reqs := net.all()
	var load []string
	for _, r := range reqs[:before] {
		load = append(load, r.method+" "+r.path)
		if strings.HasPrefix(r.path, "/api/") {
			t.Errorf("before Submit the ballot asked the API %s: the page should carry what it needs", r.path)
		}
	}
	t.Logf("requests until Submit, in order: %v", load)
	if len(load) == 0 || load[0] != "GET /vote/"+builtinPoll {
		t.Errorf("the first request is not the page: %v", load)
	}
	var after []string
	for _, r := range reqs[before:] {
		after = append(after, r.method+" "+r.path)
	}
	if len(after) != 1 || after[0] != "POST /api/v1/polls/"+builtinPoll+"/votes" {
		t.Errorf("from Submit to the receipt: %v, want the one POST of the vote", after)
	}
	if n := getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", organiser)["tally"].(map[string]any)["kampala"]; n != 1.0 {
		t.Errorf("kampala has %v votes after the slow vote", n)
	}
}

// timedRequest is one request a tab made.
type timedRequest struct{ method, path string }

// timedLog is the tab's requests in the order they were sent.
type timedLog struct{ f *frameLog }

func (l timedLog) all() []timedRequest {
	var out []timedRequest
	for _, s := range l.f.all() {
		m, p, _ := strings.Cut(s, " ")
		out = append(out, timedRequest{m, p})
	}
	return out
}

// recordTimedNetwork records the method and path of every request the tab sends, WebSockets
// included, in order.
func (tb *tab) recordTimedNetwork() timedLog {
	l := timedLog{&frameLog{}}
	reqs := chromedp.Events(tb.ctx, network.RequestWillBeSent)
	sockets := chromedp.Events(tb.ctx, network.WebSocketCreated)
	path := func(u string) string {
		if i := strings.Index(u, "//"); i >= 0 {
			u = u[i+2:]
			if j := strings.Index(u, "/"); j >= 0 {
				return u[j:]
			}
		}
		return u
	}
	go func() {
		for ev, err := range reqs {
			if err != nil {
				return
			}
			l.f.add(ev.Request.Method + " " + path(ev.Request.URL))
		}
	}()
	go func() {
		for ev, err := range sockets {
			if err != nil {
				return
			}
			l.f.add("WS " + path(ev.URL))
		}
	}()
	return l
}

func testBallotNetworkDrop(t *testing.T, b *browser) {
	p := startPages(t)
	tab := b.tab(t, phone, "en-US")
	tab.navigate(p.url + "/vote/" + builtinPoll)
	tab.waitTrue(ballotReady + ` && document.getElementById('ballot').dataset.ready === 'true'`)
	tab.click(`label[for=c-gwangju]`)
	tab.setNetwork(network.Conditions{Offline: true, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1})
	tab.click(`#submit`)
	tab.waitTrue(`document.getElementById('error').textContent.includes('there is no connection')`)
	tab.waitTrue(`document.getElementById('c-gwangju').checked && document.getElementById('submit').getAttribute('aria-disabled') === 'false'`)
	tab.screenshot("ballot-offline.png", false)
	time.Sleep(500 * time.Millisecond) // offline a little longer: what the page tries meanwhile fails too
	tab.setNetwork(network.Conditions{DownloadThroughput: -1, UploadThroughput: -1})
	tab.click(`#submit`) // one tap
	tab.waitTrue(`!document.getElementById('result').hidden || document.getElementById('error').textContent !== '' && !document.getElementById('ballot').getAttribute('aria-busy').includes('true')`)
	tab.expectText(`#result-title`, "Thank you! Your vote is recorded.")
	if n := getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", organiser)["tally"].(map[string]any)["gwangju"]; n != 1.0 {
		t.Errorf("gwangju has %v votes after the retry", n)
	}
}

func testBallotPaused(t *testing.T, b *browser) {
	p := startPages(t)
	for _, lang := range []string{"en-US", "zh-CN"} {
		tab := b.tab(t, phone390, lang)
		tab.navigate(p.url + "/vote/" + builtinPoll)
		tab.waitTrue(ballotReady)
		tab.click(`label[for=c-antalya]`)
		adminPost(t, p.url, "status", `{"status":"paused"}`)
		want := map[string]string{"en-US": "Submitting is off while voting is paused. Your choice is kept.", "zh-CN": "投票暂停期间无法提交。您的选择已保留。"}[lang]
		tab.expectText(`#send #why`, want)
		tab.waitTrue(`document.getElementById('submit').disabled && document.getElementById('why').checkVisibility()`)
		// Beside the grey Submit: in view with it, at the bottom of the screen.
		tab.waitTrue(`(s => s.bottom <= innerHeight && s.top >= 0)(document.getElementById('why').getBoundingClientRect())`)
		tab.screenshot("ballot-paused-"+lang[:2]+".png", false)
		tab.checkAccessible("paused ballot " + lang)
		adminPost(t, p.url, "status", `{"status":"open"}`)
		tab.waitTrue(`!document.getElementById('submit').disabled && document.getElementById('why').textContent === ''`)
	}
}

func testBallotLargeText(t *testing.T, b *browser) {
	p := startPages(t)
	for _, lang := range []string{"en-US", "zh-CN"} {
		tab := b.tab(t, phone320, lang)
		tab.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: 32}})
			return err
		}))
		tab.navigate(p.url + "/vote/" + builtinPoll)
		tab.waitTrue(ballotReady)
		tab.waitTrue(`parseFloat(getComputedStyle(document.documentElement).fontSize) === 32`)
		// Until it has the focus the skip link is out of sight, all of it (its two lines too).
		if bottom := evaluate[float64](tab, `document.querySelector('.skip').getBoundingClientRect().bottom`); bottom > 0 {
			t.Errorf("%s: the skip link shows %.0f px before it has the focus", lang, bottom)
		}
		tab.keys(kb.Tab) // the skip link, in view and whole
		tab.waitTrue(`document.activeElement.classList.contains('skip')`)
		tab.expectWhole(lang+" skip link", `.skip, #title, .bar *`)
		// The sticky Submit bar leaves the ballot room (it took 40% with a choice), or it scrolls away.
		tab.click(`label[for=c-sao-paulo]`) // a choice: the bar says it
		h := evaluate[float64](tab, `(s => getComputedStyle(s).position === 'sticky' ? s.getBoundingClientRect().height / innerHeight : 0)(document.getElementById('send'))`)
		t.Logf("%s: the sticky Submit bar takes %.0f%% of the screen", lang, h*100)
		if h >= 0.4 {
			t.Errorf("%s: the sticky Submit bar takes %.0f%% of the screen", lang, h*100)
		}
		if w := evaluate[[]int](tab, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
			t.Errorf("%s: the page is %d px wide on a %d px screen", lang, w[0], w[1])
		}
		tab.screenshot("ballot-320-large-text-"+lang[:2]+".png", false)
		tab.checkAccessible("ballot at 320 px, 200% text " + lang)
	}
	// After voting the skip link leads to the receipt, and "already voted" does not repeat itself.
	tab := b.tab(t, phone320, "en-US")
	tab.navigate(p.url + "/vote/" + builtinPoll)
	tab.waitTrue(ballotReady)
	tab.click(`label[for=c-jakarta]`)
	tab.click(`#submit`)
	tab.expectText(`#result-title`, "Thank you! Your vote is recorded.")
	tab.waitTrue(`(s => s.getAttribute('href') === '#result' && s.textContent === 'Skip to your receipt')(document.querySelector('.skip'))`)
	tab.reload()
	tab.expectText(`#result-title`, "You have already voted")
	tab.waitTrue(`document.querySelector('.skip').getAttribute('href') === '#result'`)
	if title, text := tab.text(`#result-title`), tab.text(`#result-text`); strings.Contains(text, title) {
		t.Errorf("the already-voted text repeats its heading: %q / %q", title, text)
	}
	tab.screenshot("ballot-already-voted-320.png", true)
}

func testReceiptTyped(t *testing.T, b *browser) {
	p := startPages(t)
	tab := b.tab(t, phone390, "en-US")
	tab.navigate(p.url + "/vote/" + builtinPoll)
	tab.waitTrue(ballotReady)
	tab.click(`label[for=c-tehran]`)
	tab.click(`#submit`)
	tab.waitTrue(`!document.getElementById('result').hidden`)
	receipt := tab.text(`#receipt`)
	// As a person types it from paper: capitals, spaces and dashes.
	var typed strings.Builder
	for i, r := range strings.ToUpper(receipt) {
		if i > 0 && i%4 == 0 {
			typed.WriteString([]string{" ", "-", " - "}[i/4%3])
		}
		typed.WriteRune(r)
	}
	tab.navigate(p.url + "/receipt")
	tab.waitTrue(`document.getElementById('code') !== null`)
	tab.sendKeys(`#code`, typed.String()+kb.Enter)
	tab.waitTrue(`document.querySelector('#answer.ok') !== null`)
	tab.waitTrue(`(s => s.startsWith('Recorded: ') && s.endsWith(', verified.'))(document.querySelector('#answer strong').textContent)`) // the choice, checked in the public log
	tab.waitTrue(`document.getElementById('code').value === ` + fmt.Sprintf("%q", receipt))
	tab.waitTrue(`document.getElementById('to-ballot').pathname === '/vote/` + builtinPoll + `' && document.getElementById('to-live').pathname === '/live/` + builtinPoll + `' && document.getElementById('to-live').checkVisibility()`)
	tab.click(`#copy`)
	tab.waitTrue(`['Copied.', 'Could not copy: select the code and copy it.'].includes(document.getElementById('copy-done').textContent)`)
	tab.screenshot("receipt-typed.png", false)
	tab.checkAccessible("receipt")

	zh := b.tab(t, phone390, "zh-CN")
	zh.navigate(p.url + "/receipt/" + strings.ToUpper(receipt))
	zh.waitTrue(`document.querySelector('#answer.ok') !== null`)
	got := zh.text(`#answer`)
	if !strings.Contains(got, "《“市民之选”：第六届广州国际城市创新奖》") || strings.Contains(got, "““") || strings.Contains(got, "””") {
		t.Errorf("the Chinese answer quotes the title badly: %q", got)
	}
	zh.screenshot("receipt-zh.png", false)
	zh.checkAccessible("receipt in Chinese")
}

func testNotFoundPages(t *testing.T, b *browser) {
	p := startPages(t)
	tab := b.tab(t, phone390, "en-US")
	for _, path := range []string{"/no-such-page", "/live", "/live/", "/vote/no-such-poll", "/screen"} {
		tab.navigate(p.url + path)
		tab.waitTrue(`document.title === 'Not found · 未找到'`)
		tab.expectText(`h1`, "This page does not exist.")
	}
	tab.screenshot("notfound.png", false)
	tab.checkAccessible("not found page")
	tab.navigate(p.url + "/receipt")
	tab.waitTrue(`document.getElementById('code') !== null && document.getElementById('answer').textContent === ''`)
	// A program keeps JSON.
	res, err := newClient(t, p.url, apiclient.Options{}).Do(t.Context(), "GET", "/no-such-page", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); res.Status != 404 || !strings.HasPrefix(ct, "application/json") {
		t.Errorf("a program's GET of a missing path: %d %s", res.Status, ct)
	}
}

func testLivePage(t *testing.T, b *browser) {
	p := startPages(t)
	castVotes(t, p.url, map[string]int{"chalandri": 2, "mannheim": 1, "iztapalapa": 1})
	adminPost(t, p.url, "results", `{"results":"live"}`)
	for _, lang := range []string{"en-US", "zh-CN"} {
		tab := b.tab(t, desktop, lang)
		tab.navigate(p.url + "/live/" + builtinPoll)
		tab.waitTrue(`document.querySelectorAll('#bars li').length === 15 && document.querySelector('#chart-minute svg') !== null`)
		tab.waitTrue(`document.getElementById('ballots').textContent === '4'`)
		tab.expectWhole("live "+lang, `#bars .b-name, #bars .b-sub, #bars .b-num, #bars .b-share`)
		// The count's card holds its content: no half-empty box.
		if empty := evaluate[float64](tab, `(c => { const r = c.getBoundingClientRect(); const kids = [...c.children].map((k) => k.getBoundingClientRect());
			return r.height - (Math.max(...kids.map((k) => k.bottom)) - Math.min(...kids.map((k) => k.top))); })(document.getElementById('h-count').closest('section'))`); empty > 80 {
			t.Errorf("live %s: the ballots card has %.0f px with nothing in them", lang, empty)
		}
		rate := tab.text(`#rate`)
		if strings.Contains(rate, "per minute in the last minute") || strings.Contains(rate, "最近一分钟每分钟") || rate == "" {
			t.Errorf("live %s: the rate reads %q", lang, rate)
		}
		tab.waitTrue(`document.getElementById('to-vote').checkVisibility()`) // not voted yet
		tab.screenshot("live-desktop-"+lang[:2]+".png", true)
		tab.checkAccessible("live page " + lang)
	}
	for _, lang := range []string{"en-US", "zh-CN"} { // phones: the cities whole as well
		tab := b.tab(t, phone320, lang)
		tab.navigate(p.url + "/live/" + builtinPoll)
		tab.waitTrue(`document.querySelectorAll('#bars li').length === 15`)
		tab.expectWhole("live at 320 px "+lang, `#bars .b-name, #bars .b-num, #bars .b-share`)
	}
	// Someone who voted gets no Vote button, but their receipt.
	voter := b.tab(t, phone390, "en-US")
	voter.navigate(p.url + "/vote/" + builtinPoll)
	voter.waitTrue(ballotReady)
	voter.click(`label[for=c-chalandri]`)
	voter.click(`#submit`)
	voter.waitTrue(`!document.getElementById('result').hidden`)
	voter.click(`.live-link`)
	voter.waitTrue(`location.pathname === '/live/` + builtinPoll + `' && document.getElementById('voted').checkVisibility()`)
	voter.waitTrue(`!document.getElementById('to-vote').checkVisibility() && document.getElementById('my-receipt').pathname.startsWith('/receipt/')`)
	voter.screenshot("live-voted-390.png", true)
}

// testScreenshots saves every page in both languages at the sizes people use: the big screen's
// displays, a laptop, phones; it checks that no page is wider than the screen and that every text
// has its contrast.
func testScreenshots(t *testing.T, b *browser) {
	p := startPages(t)
	castVotes(t, p.url, map[string]int{"pimpri-chinchwad": 2, "cape-town": 1})
	receipt := ""
	{
		tab := b.tab(t, phone, "en-US")
		tab.navigate(p.url + "/vote/" + builtinPoll)
		tab.waitTrue(ballotReady)
		tab.click(`label[for=c-ramallah]`)
		tab.click(`#submit`)
		tab.waitTrue(`!document.getElementById('result').hidden`)
		receipt = tab.text(`#receipt`)
	}
	adminPost(t, p.url, "results", `{"results":"live"}`)
	sizes := []struct {
		name string
		vp   viewport
	}{{"1920x1080", bigScreen}, {"1024x768", screen43}, {"390x844", phone390}, {"320", phone320}}
	pages := []struct{ name, path, ready string }{
		{"vote", "/vote/" + builtinPoll, ballotReady},
		{"receipt", "/receipt/" + receipt, `document.querySelector('#answer.ok') !== null`},
		{"live", "/live/" + builtinPoll, `document.querySelectorAll('#bars li').length === 15`},
		{"screen", "/screen/" + builtinPoll, `document.querySelectorAll('#bars li').length === 15`},
		{"notfound", "/no-such-page", `document.title === 'Not found · 未找到'`},
	}
	for _, s := range sizes {
		for _, lang := range []string{"en-US", "zh-CN"} {
			tab := b.tab(t, s.vp, lang)
			for _, pg := range pages {
				if pg.name == "screen" && lang == "zh-CN" {
					continue // the big screen shows both languages at once
				}
				tab.navigate(p.url + pg.path)
				tab.waitTrue(pg.ready)
				name := fmt.Sprintf("page-%s-%s-%s.png", pg.name, lang[:2], s.name)
				tab.screenshot(name, pg.name != "screen" && pg.name != "vote") // the ballot as a phone shows it, with its Submit bar
				if w := evaluate[[]int](tab, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
					t.Errorf("%s: %d px wide on a %d px screen", name, w[0], w[1])
				}
				tab.checkAccessible(name)
			}
		}
	}
}
