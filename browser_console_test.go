package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/fasthttp/websocket"
	"github.com/livevote/livevote/internal/apiclient"
	"github.com/livevote/livevote/internal/servertest"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

// The organiser's console at the size it is used on the night: a laptop at 1440x900.
var consoleScreen = viewport{1440, 900, 1, false}

// TestConsole covers the organiser's console: export and audit, the attention flags, the
// confirmations of the controls, and the first screen at 1440x900.
func TestConsole(t *testing.T) {
	b := newBrowser(t)
	os.MkdirAll(screenshotDir, 0o755)
	t.Run("export and audit", func(t *testing.T) { testConsoleRecords(t, b) })
	t.Run("difficulty confirmed, reveal warns while open", func(t *testing.T) { testConsoleControls(t, b) })
	t.Run("attention flags", func(t *testing.T) { testConsoleFlags(t, b) })
	t.Run("new networks", func(t *testing.T) { testConsoleNewcomers(t, b) })
	t.Run("auditor reads only; operator pointed to the screen", func(t *testing.T) { testConsoleRoles(t, b) })
	t.Run("no token in a URL; the big screen on a screen token", func(t *testing.T) { testConsoleScreenLink(t, b) })
}

// testConsoleNewcomers shows what the organiser sees of a farm with a new network for every
// ballot (issue 23): no per-source check holds its ballots, but the fraud panel's "new networks"
// table puts its candidate's ballots of the last minutes from networks new in the hour beside the
// poll's share of them, and marks it; a venue's ballots (one address) are new only for the first.
func testConsoleNewcomers(t *testing.T, b *browser) {
	poll := votetest.Poll(t, "fraud: {}")
	url := servertest.Start(t, server.Config{
		Polls: []*vote.Poll{poll}, Store: memstore.New(), Secret: []byte("browser-test-secret"),
		AdminToken: organiser, TrustedProxies: []string{"127.0.0.1"},
	}).URL
	from := func(ip string) http.Header {
		h := phoneHeaders.Clone()
		h.Set("X-Forwarded-For", ip)
		return h
	}
	for i := range 30 { // the hall: one address
		if _, err := newClient(t, url, apiclient.Options{Header: from("203.0.113.77")}).Cast(t.Context(), poll.ID, string(rune('a'+2*(i%2)))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 12 { // residential proxies: every ballot from another network, all for City b
		if _, err := newClient(t, url, apiclient.Options{Header: from(fmt.Sprintf("198.%d.%d.7", 100+i, i))}).Cast(t.Context(), poll.ID, "b"); err != nil {
			t.Fatal(err)
		}
	}
	tab := signIn(t, b, url, poll.ID, "en-US")
	tab.waitTrue(`!document.getElementById('fraud-body').hidden && !document.getElementById('f-newcomers').hidden`)
	tab.expectText(`#f-newcomers-summary`, "Last 15 minutes: 42 ballots, 31% of them from new networks.")
	tab.waitTrue(`[...document.querySelectorAll('#f-newcomers tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('/')).join('|') ===
		'City b · far above the poll/12/12 (100%)/31%|City a/15/1 (7%)/31%|City c/15/0 (0%)/31%'`)
	tab.click(`#h-newcomers`)
	tab.screenshot("organiser-newcomers.png", false)
	tab.click(`#lang`)
	tab.waitTrue(`document.querySelector('#f-newcomers tbody tr').cells[0].textContent === '城b · 远高于整个投票'`)
	tab.click(`#lang`)

	// The organiser holds new networks: the farm's next ballots wait, one group, voided at once.
	tab.click(`#hold-new`)
	tab.waitTrue(`document.getElementById('confirm').open`)
	tab.expectText(`#confirm-title`, "Hold new networks?")
	tab.click(`#confirm-ok`)
	tab.waitTrue(`document.getElementById('f-hold-new-state').textContent.startsWith('New networks are held for your review until ') && !document.getElementById('hold-new-stop').hidden`)
	for i := range 4 {
		if _, err := newClient(t, url, apiclient.Options{Header: from(fmt.Sprintf("198.%d.%d.9", 150+i, i))}).Cast(t.Context(), poll.ID, "b"); err != nil {
			t.Fatal(err)
		}
	}
	tab.waitTrue(`document.querySelector('#groups-list > li[data-by=new_networks]') !== null`)
	tab.expectText(`#groups-list > li[data-by=new_networks] .group-source`, "new networks")
	tab.waitTrue(`document.querySelector('#groups-list > li[data-by=new_networks] .group-facts').textContent.startsWith('4 ballots from 4 addresses')`)
	tab.screenshot("organiser-new-networks-held.png", true)
	tab.click(`#groups-list > li[data-by=new_networks] [data-action=void]`)
	tab.waitTrue(`document.getElementById('confirm').open`)
	tab.click(`#confirm-ok`)
	tab.expectText(`#announce`, "4 ballots of the group voided.")
	tab.click(`#hold-new-stop`)
	tab.waitTrue(`document.getElementById('hold-new-stop').hidden && document.getElementById('f-hold-new-state').textContent === ''`)
	tab.checkAccessible("organiser's new networks")
	if r := getJSON(t, url+"/api/v1/polls/"+poll.ID+"/results", organiser); r["held"] != 30.0-1 || r["void"] != 4.0 || r["ballots"] != 46.0 {
		t.Errorf("after voiding the new networks' group: %v; want the hall's 29 pending, 4 void, 46 ballots received (voided included)", r)
	}
}

// testConsoleRoles signs in with the auditor's token (a console without controls, with the log's
// key, the checkpoint and how to verify) and with the operator's (pointed to the big screen).
func testConsoleRoles(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
		"LIVEVOTE_AUDITOR_TOKEN": "auditor-token", "LIVEVOTE_OPERATOR_TOKEN": "operator-token",
	})
	castVote(t, p.url, "kazan")
	tab := b.tab(t, consoleScreen, "en-US")
	tab.navigate(p.url + "/organiser/" + builtinPoll)
	tab.waitTrue(`!document.getElementById('login-box').hidden`)
	tab.sendKeys(`#token`, "operator-token\r")
	tab.waitTrue(`document.getElementById('login-error').textContent.includes("operator's token") && !document.getElementById('login-operator').hidden`)
	if h := evaluate[string](tab, `document.getElementById('operator-screen').getAttribute('href')`); h != "/screen/"+builtinPoll {
		t.Errorf("the operator is pointed to %q", h)
	}
	tab.screenshot("organiser-operator.png", false)

	evaluate[string](tab, `document.getElementById('token').value = ''`)
	tab.sendKeys(`#token`, "auditor-token\r")
	tab.waitTrue(`!document.getElementById('console').hidden && !document.getElementById('auditor').hidden`)
	tab.waitTrue(`document.getElementById('au-key').textContent.startsWith('livevote') && document.getElementById('au-checkpoint').textContent.includes('/` + builtinPoll + `\n')`)
	tab.expectText(`#tally li[data-id=kazan] .b-num`, "1") // the hidden tally, read
	if shown := evaluate[[]string](tab, `[...document.querySelectorAll('[data-set], #pow-form, #trusted-form, #release-all')].filter((e) => e.checkVisibility()).map((e) => e.id || e.dataset.value)`); len(shown) > 0 {
		t.Errorf("the auditor's console shows controls: %v", shown)
	}
	tab.screenshot("organiser-auditor.png", true)
	tab.checkAccessible("auditor's console")
}

// testConsoleScreenLink (issues 22 and 24): neither the console nor the big screen it links to
// puts a token in any URL they request (the live connections carry it in their subprotocol); the
// console's "Big screen" link carries a screen token it minted, not the organiser's; with the
// public's live connections all taken, the screen opened from it still connects (the reserved
// pool), shows the count, and receives no tally while results are hidden.
func testConsoleScreenLink(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
		// 12 connections: 3 kept for the console and the screen, 9 for the public, all of which
		// one address may take.
		"LIVEVOTE_WS_MAX_CONNS": "12", "LIVEVOTE_WS_ORGANISER_CONNS": "3", "LIVEVOTE_WS_MAX_PER_SOURCE": "9",
	})
	setDifficulty(t, p.url, 0)
	castVote(t, p.url, "kazan")
	con := b.tab(t, consoleScreen, "en-US")
	conNet := con.recordNetwork()
	con.navigate(p.url + "/organiser/" + builtinPoll)
	con.waitTrue(`!document.getElementById('login-box').hidden`)
	con.sendKeys(`#token`, organiser+"\r")
	con.waitTrue(`document.getElementById('ballots').textContent === '1'`)
	con.waitTrue(`document.getElementById('to-screen').href.includes('#token=lvscreen1.')`)
	link := evaluate[string](con, `document.getElementById('to-screen').href`)
	if strings.Contains(link, organiser) {
		t.Errorf("the big screen's link carries the organiser's token: %s", link)
	}

	wsURL := "ws" + strings.TrimPrefix(p.url, "http") + "/ws/polls/" + builtinPoll
	for i := range 9 {
		conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			t.Fatalf("public live connection %d: %v", i+1, err)
		}
		t.Cleanup(func() { conn.Close() })
		// The slot is taken after the upgrade, before the first snapshot: once it has come, the
		// next upgrade sees this connection's slot taken (else it may pass the check before the
		// upgrade and be closed with 1013 after it).
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := conn.ReadMessage(); err != nil {
			t.Fatalf("public live connection %d: no first snapshot: %v", i+1, err)
		}
	}
	if conn, res, err := websocket.DefaultDialer.Dial(wsURL, nil); err == nil || res == nil || res.StatusCode != 503 {
		if conn != nil {
			conn.Close()
		}
		t.Fatalf("a public live connection with the public's pool full: %v, want 503", err)
	}

	scr := b.tab(t, bigScreen, "en-US")
	scrNet := scr.recordNetwork()
	frames := scr.recordFrames()
	scr.navigate(link)
	scr.expectText(`#count`, "1")
	castVote(t, p.url, "bogota")
	scr.expectText(`#count`, "2")
	for _, f := range frames.all() {
		if strings.Contains(f, "tally") {
			t.Errorf("the screen received a tally while results are hidden: %s", f)
		}
	}
	for _, n := range []*netLog{conNet, scrNet} {
		_, urls := n.summary()
		for _, u := range urls {
			if strings.Contains(u, "token=") || strings.Contains(u, organiser) || strings.Contains(u, "lvscreen1") {
				t.Errorf("a token in a requested URL: %s", u)
			}
		}
	}
}

// signIn opens the console of poll at base and signs in with the organiser token.
func signIn(t *testing.T, b *browser, base, poll, locale string) *tab {
	t.Helper()
	tab := b.tab(t, consoleScreen, locale)
	tab.navigate(base + "/organiser/" + poll)
	tab.waitTrue(`!document.getElementById('login-box').hidden`)
	tab.sendKeys(`#token`, organiser+"\r")
	tab.waitTrue(`!document.getElementById('console').hidden && document.getElementById('conn').textContent !== ''`)
	return tab
}

// watchedPanels are the parts of the console an organiser watches during the night.
var watchedPanels = []string{"#attention", ".now", "#h-status", "#h-results", "#pow-form", "#held-card"}

// checkFirstScreen fails the test for every watched panel that does not fit the first screen
// (no scrolling), and for a page wider than the screen.
func checkFirstScreen(t *testing.T, tab *tab) {
	t.Helper()
	sels, _ := json.Marshal(watchedPanels)
	got := evaluate[struct {
		Out    []string `json:"out"`
		Height int      `json:"height"`
		Width  int      `json:"width"`
	}](tab, `(() => {
		scrollTo(0, 0);
		const out = [];
		for (const s of `+string(sels)+`) {
			const e = document.querySelector(s);
			const r = e.closest('section, form').getBoundingClientRect();
			if (!r.height || r.bottom > innerHeight || r.right > innerWidth) out.push(s + ' ends at ' + Math.round(r.bottom) + ' px');
		}
		return { out, height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth };
	})()`)
	t.Logf("console at %dx%d: page %d px high", consoleScreen.w, consoleScreen.h, got.Height)
	for _, o := range got.Out {
		t.Errorf("not on the first screen of %dx%d: %s", consoleScreen.w, consoleScreen.h, o)
	}
	if got.Width > int(consoleScreen.w) {
		t.Errorf("the console is %d px wide on a %d px screen", got.Width, consoleScreen.w)
	}
}

// downloads saves the tab's downloads in a folder of the test and answers, for each, the file
// name the page gave it and its content.
func downloads(t *testing.T, tab *tab) func() (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	yes := true
	ctx := tab.ctx
	names := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes,
		BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
	}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	var mu sync.Mutex
	suggested := map[string]string{}
	done := make(chan string, 4)
	go func() {
		for ev, err := range names {
			if err != nil {
				return
			}
			mu.Lock()
			suggested[ev.GUID] = ev.SuggestedFilename
			mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range progress {
			if err != nil {
				return
			}
			if ev.State == cdpbrowser.DownloadProgressStateCompleted {
				done <- ev.GUID
			}
		}
	}()
	return func() (string, []byte) {
		t.Helper()
		select {
		case guid := <-done:
			body, err := os.ReadFile(filepath.Join(dir, guid))
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			return suggested[guid], body
		case <-time.After(stepTimeout):
			tab.fail("no download finished")
			return "", nil
		}
	}
}

// testConsoleRecords downloads both exports from the console and checks them against the API,
// and runs the audit, whose verdict shows in words in both languages.
func testConsoleRecords(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
	})
	setDifficulty(t, p.url, 0)
	for _, c := range []string{"kazan", "kazan", "bogota"} {
		castVote(t, p.url, c)
	}
	held := castHeldVote(t, p.url, "gwangju")

	tab := signIn(t, b, p.url, builtinPoll, "en-US")
	// The count is ballots received (3 counted, 1 held): a held ballot is not told apart in public.
	tab.waitTrue(`document.getElementById('ballots').textContent === '4'`)
	next := downloads(t, tab)

	tab.click(`#export-json`)
	name, body := next()
	if !strings.HasPrefix(name, builtinPoll+"-") || !strings.HasSuffix(name, ".json") {
		t.Errorf("JSON export saved as %q", name)
	}
	var export struct {
		Poll    string           `json:"poll"`
		Ballots int              `json:"ballots"`
		Held    int              `json:"held"`
		Tally   map[string]int   `json:"tally"`
		Log     []map[string]any `json:"log"`
	}
	if err := json.Unmarshal(body, &export); err != nil {
		t.Fatalf("the JSON export is not JSON: %v\n%s", err, body)
	}
	if export.Poll != builtinPoll || export.Ballots != 3 || export.Held != 1 || export.Tally["kazan"] != 2 || len(export.Log) != 5 {
		t.Errorf("JSON export: poll %q, %d ballots, %d held, tally %v, %d log entries; want 3 ballots (2 Kazan), 1 held, 5 entries (4 ballots and the organiser's difficulty)",
			export.Poll, export.Ballots, export.Held, export.Tally, len(export.Log))
	}
	tab.waitTrue(`/^Downloaded guangzhou-2023-.*\.json \(\d+ kB\)\.$/.test(document.getElementById('export-status').textContent)`)

	tab.click(`#export-csv`)
	name, body = next()
	if !strings.HasSuffix(name, ".csv") {
		t.Errorf("CSV export saved as %q", name)
	}
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV export is not CSV: %v\n%s", err, body)
	}
	kinds := map[string]int{}
	receipts := map[string]bool{}
	for _, r := range records[1:] {
		kinds[r[0]]++
		receipts[r[2]] = true
		if r[0] == "tally" && r[8] == "kazan" && r[9] != "2" {
			t.Errorf("CSV export: Kazan's tally row %v", r)
		}
	}
	if records[0][0] != "record" || kinds["tally"] != 15 || kinds["ballot"] != 4 || !receipts[held] {
		t.Errorf("CSV export: header %v, records %v, held receipt %s listed %v", records[0], kinds, held, receipts[held])
	}
	tab.waitTrue(`document.getElementById('export-status').textContent.endsWith('.csv (1 kB).')`)

	tab.click(`#audit-run`)
	tab.expectText(`#audit-verdict`, "The count is right: recounting the log gives exactly the live counts.")
	tab.waitTrue(`document.getElementById('audit-detail').textContent.startsWith('3 ballots counted and 1 held in the log (5 entries)')`)
	tab.waitTrue(`!document.getElementById('audit-result').classList.contains('bad')`)
	tab.click(`#lang`)
	tab.expectText(`#audit-verdict`, "计数正确：重新统计记录的结果与实时计数完全一致。")
	tab.click(`#lang`)
	tab.expectText(`#audit-verdict`, "The count is right: recounting the log gives exactly the live counts.")
	tab.screenshot("organiser-records.png", true)
	tab.checkAccessible("organiser's console with the audit")
	checkFirstScreen(t, tab)
}

// testConsoleControls covers the confirmations of the controls: the difficulty set shows on the
// page, revealing while voting is open warns so (and not once closed), and the connection reads
// "Connected", not "live", and is flagged once lost.
func testConsoleControls(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
	})
	results := func() any { return getJSON(t, p.url+"/api/v1/polls/"+builtinPoll+"/results", "")["results"] }
	tab := signIn(t, b, p.url, builtinPoll, "en-US")
	tab.expectText(`#conn`, "Connected")

	tab.expectText(`#pow-status`, "")
	tab.do(chromedp.SetValue(chromedp.CSS(`#difficulty`), "60000"))
	tab.click(`#pow-form button`)
	tab.waitTrue(`/^Difficulty is now 60,000\. Set at .+; new ballots need it from now on\.$/.test(document.getElementById('pow-status').textContent)`)
	tab.waitTrue(`getComputedStyle(document.getElementById('pow-status')).display !== 'none'`)
	if d := getJSON(t, p.url+"/api/v1/polls/"+builtinPoll, "")["difficulty"]; d != 60000.0 {
		t.Errorf("difficulty after Set on the console: %v", d)
	}

	tab.click(`button[data-value=revealed]`)
	tab.waitTrue(`document.getElementById('confirm').open`)
	tab.expectText(`#confirm-title`, "Reveal the results while voting is open?")
	tab.waitTrue(`!document.getElementById('confirm-warn').hidden && document.getElementById('confirm-warn').textContent.startsWith('Voting is still open: people who have not voted yet will see the results')`)
	tab.screenshot("organiser-reveal-open.png", false)
	tab.checkAccessible("organiser's reveal warning")
	tab.click(`#confirm button[value=cancel]`)
	tab.waitTrue(`!document.getElementById('confirm').open`)
	if r := results(); r != "hidden" {
		t.Errorf("after Cancel the results are %v", r)
	}

	// A ballot held for review: the reveal's checklist says so and asks to reveal without it.
	setDifficulty(t, p.url, 0)
	castHeldVote(t, p.url, "kazan")
	tab.click(`button[data-value=closed]`)
	tab.waitTrue(`document.getElementById('confirm').open && document.getElementById('confirm-warn').hidden`)
	tab.click(`#confirm-ok`)
	tab.expectText(`#status`, "closed")
	if a := getJSON(t, p.url+"/api/v1/admin/polls/"+builtinPoll+"/audit", organiser); a["consistent"] != true { // the audit since the close
		t.Fatalf("audit = %v", a)
	}
	tab.click(`button[data-value=revealed]`)
	tab.waitTrue(`document.getElementById('confirm').open`)
	tab.expectText(`#confirm-title`, "Reveal without the held ballots?")
	tab.waitTrue(`!document.getElementById('confirm-warn').hidden && /^Checklist: received \d+ · counted \d+ · held 1 · pending 0 · void 0 · audit since the close: yes \(.+\) · (no tie for first place|\d+ candidates tied)/.test(document.getElementById('confirm-text').textContent)`)
	tab.screenshot("organiser-reveal-checklist.png", false)
	tab.click(`#confirm-ok`)
	tab.expectText(`#results`, "revealed")
	if r := results(); r != "revealed" {
		t.Errorf("after Reveal the results are %v", r)
	}

	// The server goes away: the header says so at once, the attention strip after a few seconds.
	p.stop()
	tab.expectText(`#conn`, "Not connected: reconnecting…")
	tab.waitTrue(`document.querySelector('#flags li[data-flag=conn] p') !== null`)
	tab.expectText(`#flags li[data-flag=conn] p`, "The console is not connected to the server: the numbers here are not updating. It reconnects by itself; if this lasts, check the network.")
}

// clockedProgram is a server of one test poll on the memory store whose clock the test sets, and
// which samples its poll (velocity) every 50 ms: minutes of a vote pass in a second.
type clockedProgram struct {
	url  string
	poll *vote.Poll
	mu   sync.Mutex
	now  time.Time
}

func (c *clockedProgram) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// advance moves the clock on by d and waits for the server to sample the poll at the new time.
func (c *clockedProgram) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
}

func startClocked(t *testing.T, pollYAML ...string) *clockedProgram {
	t.Helper()
	// The clock starts 20 s into a minute: the sliding minute's count of the ballots cast at one
	// instant is then exact a second later (one second after a minute's turn it would weigh them
	// by 59/60 and say 29 of 30: seen in CI).
	start := time.Now().Truncate(time.Minute).Add(time.Minute + 20*time.Second)
	c := &clockedProgram{poll: votetest.Poll(t, pollYAML...), now: start}
	c.url = servertest.Start(t, server.Config{
		Polls: []*vote.Poll{c.poll}, Store: memstore.New(), Secret: []byte("browser-test-secret"),
		AdminToken: organiser, Now: c.Now, SampleEvery: 50 * time.Millisecond,
	}).URL
	return c
}

// cast votes for candidate in the clocked program's poll as a new voter sending header.
func (c *clockedProgram) cast(t *testing.T, header http.Header, candidate string) {
	t.Helper()
	if _, err := newClient(t, c.url, apiclient.Options{Header: header}).Cast(t.Context(), c.poll.ID, candidate); err != nil {
		t.Fatalf("vote for %s: %v", candidate, err)
	}
}

// testConsoleFlags creates, through the API, what must stand out: ballots held (an HTTP
// library's User-Agent, more than the held list shows without scrolling), one candidate surging far above its baseline, and every ballot of the
// last minute from one address. Each shows at the top as a sentence with the action to take, the
// action leads to its panel, and a flag goes once its cause is gone.
func testConsoleFlags(t *testing.T, b *browser) {
	c := startClocked(t, "fraud: {hold: true, ip_per_minute: 0, ip_per_hour: 0, subnet_per_minute: 0, subnet_per_hour: 0, min_vote_time: 0s, velocity_ratio: 5, velocity_min_rate: 10}")
	tool := http.Header{"User-Agent": {"python-requests/2.31"}, "Accept-Language": {"en"}}

	tab := signIn(t, b, c.url, c.poll.ID, "en-US")
	tab.waitTrue(`!document.getElementById('fraud-body').hidden`)
	tab.waitTrue(`!document.getElementById('all-clear').hidden && document.querySelectorAll('#flags li').length === 0`)
	tab.expectText(`#all-clear`, "✓ All clear: nothing needs your attention now.")

	// Six minutes of quiet voting (a baseline: City a one ballot a minute), then a rush for City a.
	c.cast(t, phoneHeaders, "b")
	c.cast(t, phoneHeaders, "c")
	for range 6 {
		c.cast(t, phoneHeaders, "a")
		c.advance(time.Minute)
	}
	for range 24 {
		c.cast(t, phoneHeaders, "a")
	}
	for _, cand := range []string{"b", "c", "b", "c", "b", "c"} {
		c.cast(t, tool, cand)
	}
	c.advance(time.Second) // the server samples the rush (a sample at the time of the last one is ignored)

	flag := func(id string) string { return fmt.Sprintf(`document.querySelector('#flags li[data-flag=%q] p')`, id) }
	tab.waitTrue(flag("held") + ` !== null`)
	tab.expectText(`#flags li[data-flag=held] p`, "6 ballots are held and wait for your review. Release those from real voters; void the rest.")
	tab.waitTrue(flag("surge-a") + ` !== null`)
	tab.waitTrue(flag("surge-a") + `.textContent.startsWith('City a is getting 25× its usual rate (25 a minute against a baseline of 1).')`)
	tab.waitTrue(flag("subnet") + ` !== null`)
	tab.expectText(`#flags li[data-flag=subnet] p`, "100% of the last minute’s 30 ballots came from one subnet (one network: a venue’s Wi-Fi, a campus, an office). If it is your venue, trust it; if not, raise the difficulty.")
	tab.waitTrue(`document.getElementById('all-clear').hidden`)
	// A flag that appears is announced (the last ones to appear, here).
	tab.waitTrue(`['ballots are held', 'its usual rate', 'from one subnet'].some((s) => document.getElementById('announce').textContent.includes(s))`)
	tab.waitTrue(`document.querySelectorAll('#held-list > li').length === 6`)

	// Each action leads to its panel.
	for id, target := range map[string]string{"held": "h-held-list", "surge-a": "h-velocity", "subnet": "h-sources"} {
		tab.click(fmt.Sprintf(`#flags li[data-flag=%q] button`, id))
		tab.waitTrue(fmt.Sprintf(`document.activeElement.id === %q`, target))
	}
	tab.waitTrue(`(scrollTo(0, 0), document.activeElement.blur(), true)`)
	tab.screenshot("organiser-console.png", false)
	tab.checkAccessible("organiser's console with flags")
	checkFirstScreen(t, tab)
	tab.screenshot("organiser-console-full.png", true)

	tab.click(`#lang`)
	tab.waitTrue(flag("held") + `.textContent === '6 张选票被暂扣，等待您审核。请放行来自真实选民的选票，作废其余选票。'`)
	tab.waitTrue(flag("surge-a") + `.textContent.startsWith('城a的得票速度是平时的 25 倍（每分钟 25 票，基线为 1）')`)
	tab.expectText(`#conn`, "已连接")
	tab.waitTrue(`(scrollTo(0, 0), true)`)
	tab.screenshot("organiser-console-zh.png", false)
	tab.checkAccessible("organiser's console in Chinese")
	checkFirstScreen(t, tab)
	tab.click(`#lang`)

	// Released, the held ballots' flag goes.
	tab.click(`#release-all`)
	tab.waitTrue(`document.getElementById('confirm').open`)
	tab.click(`#confirm-ok`)
	tab.waitTrue(flag("held") + ` === null && ` + flag("surge-a") + ` !== null`)
}
