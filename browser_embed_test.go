package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/livevote/livevote/vote/votetest"
)

// testEmbedded covers the ballot in a partner's site (issue 25): a page on another origin and site
// (127.0.0.2) embeds it with the README's snippet, in Chromium with third-party cookies blocked;
// the frame takes the ballot's height, a vote cast in it is recorded, and the same voter coming
// back to the partner's page finds it already voted: one ballot. The same partner framing a page
// that is not the ballot is refused.
func testEmbedded(t *testing.T, b *browser) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address here: %v", err)
	}
	partner := "http://" + ln.Addr().String()
	file := filepath.Join(t.TempDir(), "ballot.yaml")
	if err := os.WriteFile(file, []byte(votetest.PollYAML(fmt.Sprintf("embed_sites: [%q]", partner))), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret", "LIVEVOTE_BALLOT": file,
	})
	id := getJSON(t, p.url+"/api/v1/polls", "")["polls"].([]any)[0].(map[string]any)["id"].(string)
	snippet := embedSnippet(p.url, id, "Vote")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><html lang=en><title>Partner</title><h1>Partner news</h1>%s", snippet)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html lang=en><title>Partner</title><iframe src="%s/live/%s" title="Live"></iframe>`, p.url, id)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	tab := b.tab(t, desktop, "en-US")
	if _, err := chromedp.Call(tab.ctx, network.SetCookieControls, network.SetCookieControlsParams{EnableThirdPartyCookieRestriction: true}); err != nil {
		t.Fatalf("blocking third-party cookies: %v", err)
	}
	tab.navigate(partner + "/")
	ballot := tab.frame(t, p.url+"/vote/")
	ballot.waitTrue(`document.querySelectorAll('input[name=choice]').length === 3 && !document.getElementById('own-tab').hidden`)
	tab.waitTrue(`document.querySelector('iframe[data-livevote]').getBoundingClientRect().height > 500`) // sized by embed.js
	ballot.waitTrue(`(document.querySelector('label[for=c-b]').click(), document.getElementById('submit').click(), true)`)
	ballot.waitTrue(`!document.getElementById('result').hidden`)
	ballot.expectText(`#result-title`, "Thank you! Your vote is recorded.")
	ballot.waitTrue(`document.getElementById('receipt-link').target === '_blank'`) // the receipt page may not be framed
	tab.screenshot("embedded-ballot.png", false)

	tab.reload() // the same voter, back on the partner's page
	ballot = tab.frame(t, p.url+"/vote/")
	ballot.waitTrue(`!document.getElementById('result').hidden`)
	ballot.expectText(`#result-title`, "You have already voted")
	res := getJSON(t, p.url+"/api/v1/polls/"+id+"/results", organiser)
	if res["ballots"] != 1.0 {
		t.Errorf("after a vote in the frame and a visit back: %v ballots, want 1", res["ballots"])
	}

	tab.navigate(partner + "/elsewhere") // a page other than the ballot may not be framed
	tab.waitTrue(`document.querySelector('iframe') !== null`)
	refused := func() bool {
		for _, e := range tab.errors.all() {
			if strings.Contains(e, "frame-ancestors 'none'") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(stepTimeout); !refused(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the live page loaded in the partner's frame; the page logged %q", tab.errors.all())
		}
	}
}

// embedSnippet is the README's snippet for the ballot of poll id served at base.
func embedSnippet(base, id, title string) string {
	return fmt.Sprintf(`<iframe data-livevote src="%s/vote/%s" title="%s" style="width:100%%;max-width:44rem;border:0;height:40rem"></iframe>
<script src="%s/static/embed.js" async></script>`, base, id, title, base)
}

// frame is the tab's frame whose address starts with prefix, once it has loaded, as a tab of its
// own (the frame of another site runs in a process of its own: it is a target of its own).
func (tb *tab) frame(t *testing.T, prefix string) *tab {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		infos, err := chromedp.Targets(tb.ctx)
		if err != nil {
			t.Fatalf("targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				if err := start(ctx, stepTimeout); err != nil {
					t.Fatalf("attaching to the frame: %v", err)
				}
				return &tab{t: t, ctx: ctx, vp: tb.vp, loc: tb.loc, errors: &frameLog{}}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame of %s in the page", prefix)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
