package main

import (
	"strings"
	"testing"
)

// tamperLeaf wraps the page's fetch so that a proof's leaf says another choice, as a server
// showing a voter a ballot other than the one in the log would.
const tamperLeaf = `(() => {
  const real = window.fetch;
  window.fetch = async (...args) => {
    const res = await real(...args);
    if (!String(args[0]).endsWith('/proof') || res.status !== 200) return res;
    const proof = await res.json();
    const leaf = atob(proof.leaf).replace(/"choices":\["[^"]*"\]/, '"choices":["guangzhou"]');
    proof.leaf = btoa(leaf);
    return new Response(JSON.stringify(proof), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
})();`

// tamperOpening wraps the page's fetch so that the opening of a proof says the ballot was not held.
const tamperOpening = `(() => {
  const real = window.fetch;
  window.fetch = async (...args) => {
    const res = await real(...args);
    if (!String(args[0]).endsWith('/proof') || res.status !== 200) return res;
    const proof = await res.json();
    if (proof.opening) proof.opening.entries[0].leaf = btoa(atob(proof.opening.entries[0].leaf).replace('"held":true', '"held":false'));
    return new Response(JSON.stringify(proof), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
})();`

// testReceiptLog covers the receipt page's check of the public log: it verifies the proof with
// Web Crypto against the signed checkpoint and the served key and says so in both languages, the
// recorded choice first ("Recorded: Kazan · …, verified."), the details folded; a tampered proof
// is reported, never shown as verified; once the results are revealed (the log open), the page
// checks the ballot's sealed record too and says how it was settled.
func testReceiptLog(t *testing.T, b *browser) {
	p := startProgram(t, "127.0.0.1:0", map[string]string{
		"LIVEVOTE_ADMIN_TOKEN": organiser, "LIVEVOTE_SECRET": "browser-test-secret",
	})
	setDifficulty(t, p.url, 0)
	castHeldVote(t, p.url, "kazan")
	receipt := castHeldVote(t, p.url, "kazan")

	t.Run("verified, in English and Chinese", func(t *testing.T) {
		tab := b.tab(t, phone, "en-US")
		tab.navigate(p.url + "/receipt/" + receipt)
		tab.waitTrue(`document.querySelector('#log.ok') !== null`)
		// entry 4 of 4: the difficulty change, its seal (translog/seal.go), then two ballots.
		got := tab.text(`#log details`)
		root := evaluate[string](tab, `document.getElementById('log').dataset.root`)
		if !strings.Contains(got, "Checked in your browser: your ballot is entry 4 of 4 in the public log, root "+root[:12]) {
			t.Errorf("log check says %q", got)
		}
		if open := evaluate[bool](tab, `document.querySelector('#log details').open`); open {
			t.Error("the technical details are not folded")
		}
		tab.expectText(`#answer strong`, "Recorded: Kazan · A park to rest and recuperate, verified.")
		tab.screenshot("receipt-log.png", false)
		tab.checkAccessible("receipt with log check")
		tab.chooseLang("zh")
		tab.waitTrue(`document.getElementById('log').textContent.includes('您的选票是公开日志 4 条记录中的第 4 条')`)
		if got := tab.text(`#answer strong`); !strings.HasPrefix(got, "已记录：喀山 · ") || !strings.HasSuffix(got, "，已核验。") {
			t.Errorf("the Chinese receipt says %q", got)
		}
	})

	t.Run("a tampered proof fails", func(t *testing.T) {
		tab := b.tab(t, phone, "en-US")
		tab.beforeScripts(tamperLeaf)
		tab.navigate(p.url + "/receipt/" + receipt)
		tab.waitTrue(`document.querySelector('#log.error') !== null`)
		if got := tab.text(`#log`); !strings.Contains(got, "did not verify (root)") {
			t.Errorf("a tampered proof says %q", got)
		}
		tab.screenshot("receipt-log-tampered.png", false)
	})

	t.Run("the screen and the live page show the checkpoint", func(t *testing.T) {
		tab := b.tab(t, bigScreen, "en-US")
		tab.navigate(p.url + "/screen/" + builtinPoll)
		tab.waitTrue(`document.getElementById('log').dataset.size === '4'`)
		if got := tab.text(`#log`); !strings.HasPrefix(got, "公开日志 4 条 · public log: 4 entries · ") || len(got) != len("公开日志 4 条 · public log: 4 entries · ")+12 {
			t.Errorf("the screen's checkpoint corner says %q", got)
		}
		tab.screenshot("screen-checkpoint.png", false)
		tab.navigate(p.url + "/live/" + builtinPoll)
		tab.waitTrue(`document.getElementById('log').dataset.size === '4'`)
		if got := tab.text(`#log`); !strings.HasPrefix(got, "Public log: 4 entries, root ") {
			t.Errorf("the live page's checkpoint says %q", got)
		}
	})

	t.Run("after the reveal, the sealed record", func(t *testing.T) {
		adminPost(t, p.url, "held/"+receipt, `{"action":"release"}`)
		adminPost(t, p.url, "results", `{"results":"revealed","confirm":true}`)
		adminPost(t, p.url, "reveal", `{"withheld":0}`) // the stage shows it all: the log opens
		tab := b.tab(t, phone, "en-US")
		tab.navigate(p.url + "/receipt/" + receipt)
		tab.waitTrue(`document.querySelector('#log.ok') !== null && document.getElementById('log').textContent.includes('sealed record')`)
		tab.expectText(`#answer strong`, "Recorded: Kazan · A park to rest and recuperate, verified.")
		if got := tab.text(`#answer`); !strings.Contains(got, "After the reveal, the log shows your ballot was held for a check, then counted (released by the organisers).") {
			t.Errorf("after the reveal the receipt says %q", got)
		}
		tab.checkAccessible("receipt after the reveal")

		// A server that says the ballot was never held, against its own commitment.
		tab = b.tab(t, phone, "en-US")
		tab.beforeScripts(tamperOpening)
		tab.navigate(p.url + "/receipt/" + receipt)
		tab.waitTrue(`document.querySelector('#log.error') !== null`)
		if got := tab.text(`#log`); !strings.Contains(got, "did not verify (opening)") {
			t.Errorf("a tampered opening says %q", got)
		}
	})
}
