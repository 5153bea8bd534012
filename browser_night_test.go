package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
	"github.com/livevote/livevote/internal/apiclient"
	"github.com/livevote/livevote/internal/servertest"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

// screen720 is a 720p projector.
var screen720 = viewport{1280, 720, 1, false}

// nightSizes are the displays the night's screenshots are taken at.
var nightSizes = []struct {
	name string
	vp   viewport
}{{"1920x1080", bigScreen}, {"1280x720", screen720}, {"1024x768", screen43}}

// testNight plays the night on the big screen at three sizes, each screenshot in screenshotDir
// (night-*.png): the pre-show (the opening time with its zone, the QR code), voting (the QR
// code), the reveal's steps driven by the presenter on one screen and followed by the others, the
// winner, and a correction after the reveal (a held ballot released), which the live page shows
// with its time too.
func testNight(t *testing.T, b *browser) {
	// The pre-show: a ballot that opens in two hours.
	yaml, err := os.ReadFile("vote/ballotfile/guangzhou-2023.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opens := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Minute)
	ballot := filepath.Join(t.TempDir(), "ballot.yaml")
	text := strings.Replace(string(yaml), "    time_zone: Asia/Shanghai\n", "    time_zone: Asia/Shanghai\n    opens_at: "+opens.Format(time.RFC3339)+"\n", 1)
	if err := os.WriteFile(ballot, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	pre := startPages(t, "LIVEVOTE_BALLOT", ballot)
	for _, s := range nightSizes {
		tab := b.tab(t, s.vp, "en-US")
		tab.navigate(pre.url + "/screen/" + builtinPoll)
		tab.waitTrue(`document.body.classList.contains('pre-show') && document.querySelector('#qr svg') !== null`)
		tab.waitTrue(`document.getElementById('status').textContent.includes('Voting opens') && /GMT\+8|CST/.test(document.getElementById('status').textContent)`)
		if evaluate[bool](tab, `document.getElementById('count').checkVisibility()`) {
			t.Errorf("%s: the pre-show shows a count", s.name)
		}
		tab.screenshot("night-1-preshow-"+s.name+".png", false)
	}
	// A rehearsal before the night: the whole reveal on made-up numbers, nothing sent.
	rehearsal := b.tab(t, bigScreen, "en-US")
	requests := rehearsal.recordTimedNetwork()
	rehearsal.navigate(pre.url + "/screen/" + builtinPoll + "?rehearsal")
	rehearsal.waitTrue(`!document.getElementById('rehearsal').hidden && document.getElementById('title-zh').textContent !== ''`)
	rehearsal.keys("r")
	rehearsal.waitTrue(`document.getElementById('stage-note').textContent.includes('places to come')`)
	for range 3 {
		rehearsal.keys(" ")
	}
	rehearsal.waitTrue(`document.querySelectorAll('#bars li').length > 0`)
	rehearsal.screenshot("night-0-rehearsal-1920x1080.png", false)
	if len(requests.all()) == 0 {
		t.Error("no request of the rehearsal's page was recorded")
	}
	for _, r := range requests.all() {
		if strings.Contains(r.path, "/admin/") || strings.Contains(r.path, "/results") {
			t.Errorf("the rehearsal asked the server: %s %s", r.method, r.path)
		}
	}
	if r := getJSON(t, pre.url+"/api/v1/polls/"+builtinPoll+"/results", organiser); r["results"] != "hidden" || r["withheld"] != nil {
		t.Errorf("after the rehearsal the results are %v", r)
	}
	pre.stop()

	p := startPages(t)
	setDifficulty(t, p.url, 0)
	castVotes(t, p.url, map[string]int{"xianning": 5, "kazan": 4, "bogota": 3, "gwangju": 2, "mannheim": 1})
	held := castHeldVote(t, p.url, "kazan")
	screens := make([]*tab, len(nightSizes))
	for i, s := range nightSizes {
		screens[i] = b.tab(t, s.vp, "en-US")
		u := p.url + "/screen/" + builtinPoll
		if i == 0 {
			u += "#token=" + organiser // the presenter's screen
		}
		screens[i].navigate(u)
		screens[i].waitTrue(`document.querySelector('#qr svg') !== null && document.getElementById('count').textContent === '16'`)
		screens[i].screenshot("night-2-voting-"+s.name+".png", false)
	}
	livePage := b.tab(t, phone, "en-US")
	livePage.navigate(p.url + "/live/" + builtinPoll)
	livePage.expectText(`#ballots`, "16")

	// The reveal: 6 places (the 10 without a vote, Mannheim, Gwangju, Bogotá, Kazan, Xianning).
	adminPost(t, p.url, "status", `{"status":"closed"}`)
	adminPost(t, p.url, "results", `{"results":"revealed","confirm":true}`)
	for j := range nightSizes {
		screens[j].waitTrue(`document.getElementById('stage-note').textContent.includes('6 places to come')`)
	}
	for i, rows := range []int{10, 11, 12, 13, 14, 15} {
		screens[0].keys(" ")
		for j, s := range nightSizes {
			screens[j].waitTrue(fmt.Sprintf(`document.querySelectorAll('#bars li').length === %d`, rows))
			if i == 0 || i == 3 || i == 4 {
				screens[j].screenshot(fmt.Sprintf("night-3-step%d-%s.png", i+1, s.name), false)
			}
			expectLegible(t, screens[j], s.name, `#stage-note, #bars .b-sub, #bars .b-share, #count-label span, .s-head p, #status`)
		}
	}
	for j, s := range nightSizes {
		screens[j].waitTrue(`!document.getElementById('winner').hidden && document.querySelector('.w-one[data-id=xianning]') !== null`)
		screens[j].expectText(`#w-kicker`, "获胜者 · The winner")
		screens[j].screenshot("night-4-winner-"+s.name+".png", false)
		expectLegible(t, screens[j], s.name, `#winner p, #winner span`)
	}
	livePage.waitTrue(`!document.getElementById('winner').hidden && document.getElementById('w-corrected').hidden`)
	ballotPage := b.tab(t, phone, "en-US") // the ballot page leads with the result too
	ballotPage.navigate(p.url + "/vote/" + builtinPoll)
	ballotPage.waitTrue(`!document.getElementById('winner').hidden && document.getElementById('w-names').textContent.includes('Xianning') && document.getElementById('w-head').textContent === 'The winner'`)

	// A correction: the held ballot, released after the reveal, ties Kazan with Xianning.
	adminPost(t, p.url, "held/"+held, `{"action":"release"}`)
	for j, s := range nightSizes {
		screens[j].waitTrue(`!document.getElementById('correction').hidden && document.getElementById('correction').textContent.includes('Corrected at')`)
		screens[j].waitTrue(`document.querySelectorAll('#w-list .w-one').length === 2`)
		screens[j].expectWhole("correction "+s.name, `#correction span, #winner p, #winner span`)
		screens[j].screenshot("night-5-correction-"+s.name+".png", false)
		expectLegible(t, screens[j], s.name, `#correction span, #winner p, #winner span`)
	}
	livePage.waitTrue(`!document.getElementById('w-corrected').hidden && /Corrected at .*(GMT\+8|CST)/.test(document.getElementById('w-corrected').textContent)`)
	livePage.expectText(`#w-head`, "Tied for first place")
	ballotPage.waitTrue(`!document.getElementById('w-corrected').hidden && document.getElementById('w-head').textContent === 'Tied for first place'`)
	ballotPage.screenshot("night-5-correction-ballot.png", false)
	ballotPage.checkAccessible("ballot page with a corrected result")
	livePage.screenshot("night-5-correction-live.png", true)
	livePage.checkAccessible("live page with a correction")
}

// testSmallVoteFinal is issue 22's small vote: 30 phones in the hall behind one address (a
// trusted proxy sends it in X-Forwarded-For) and 30 people at home, each on a network of their
// own, all honest; the organiser closes. The big screen shows the 60 ballots received, and within
// 15 s of the close its checklist (R, signed in) says all 60 are counted, none pending, none held:
// the close's last pass judged the hall's pending ballots against the whole poll.
func testSmallVoteFinal(t *testing.T, b *browser) {
	poll := votetest.Poll(t, "fraud: {}")
	url := servertest.Start(t, server.Config{
		Polls: []*vote.Poll{poll}, Store: memstore.New(), Secret: []byte("browser-test-secret"),
		AdminToken: organiser, TrustedProxies: []string{"127.0.0.1"},
	}).URL
	from := func(ip string) apiclient.Options {
		h := phoneHeaders.Clone()
		h.Set("X-Forwarded-For", ip)
		return apiclient.Options{Header: h}
	}
	tab := b.tab(t, screen43, "en-US")
	tab.navigate(url + "/screen/" + poll.ID + "#token=" + organiser)
	tab.waitTrue(`!document.getElementById('rate-box').hidden`)
	for i := range 30 {
		if _, err := newClient(t, url, from(fmt.Sprintf("198.%d.0.7", 100+i))).Cast(t.Context(), poll.ID, string(rune('a'+i%3))); err != nil {
			t.Fatalf("vote from home: %v", err)
		}
		if _, err := newClient(t, url, from("203.0.113.77")).Cast(t.Context(), poll.ID, string(rune('a'+(i+1)%3))); err != nil {
			t.Fatalf("vote from the hall: %v", err)
		}
	}
	if r := getJSON(t, url+"/api/v1/polls/"+poll.ID+"/results", organiser); r["counted"] == 60.0 {
		t.Fatalf("before the close: %v; want the hall's ballots pending (else this test shows nothing)", r)
	}
	res, err := newClient(t, url, apiclient.Options{}).Do(t.Context(), "POST", "/api/v1/admin/polls/"+poll.ID+"/status", []byte(`{"status":"closed"}`),
		http.Header{"Authorization": {"Bearer " + organiser}})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("close: %v %v", res, err)
	}
	closed := time.Now()
	tab.expectText(`#count`, "60")
	tab.expectText(`#count-label`, "ballots received 已收到选票") // the test poll's screen languages: en, zh
	tab.waitTrue(`document.getElementById('status').textContent === 'Voting closed · 投票已结束'`)
	want := []string{"60 ballots received · 已收到选票", "60 ballots counted · 已计票", "0 held for review · 暂扣待审核", "0 pending (choice test) · 等待检验"}
	for {
		tab.keys("r")
		tab.waitTrue(`document.getElementById('check').open`)
		list := tab.text(`#check-list`)
		missing := []string{}
		for _, w := range want {
			if !strings.Contains(list, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Since(closed) > 15*time.Second {
			t.Fatalf("15 s after the close the checklist says %q; want %q", list, missing)
		}
		tab.keys(kb.Escape)
		tab.waitTrue(`!document.getElementById('check').open`)
		time.Sleep(500 * time.Millisecond)
	}
	if evaluate[bool](tab, `document.getElementById('check-confirm-row').hidden && !document.getElementById('check-go').disabled`) != true {
		t.Errorf("with every ballot counted the checklist still asks for a confirmation")
	}
	tab.screenshot("screen-checklist-small-vote-1024x768.png", false)
	tab.checkAccessible("screen's checklist after a small vote")
}

// expectLegible fails the test for every visible element of sel whose text is under 2.5% of the
// display's height (issue 22: read from the back of a hall at 4:3 and 720p too).
func expectLegible(t *testing.T, tb *tab, size, sel string) {
	t.Helper()
	for _, small := range evaluate[[]string](tb, `[...document.querySelectorAll(`+"`"+sel+"`"+`)].filter((e) => e.checkVisibility() && e.textContent.trim() &&
		parseFloat(getComputedStyle(e).fontSize) < 0.0245 * innerHeight).map((e) => e.textContent.trim().slice(0, 40) + ': ' + (parseFloat(getComputedStyle(e).fontSize) / innerHeight * 100).toFixed(1) + '%')`) {
		t.Errorf("%s: %s of the height, want 2.5%% at least", size, small)
	}
}
