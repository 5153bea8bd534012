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

// testReceiptLog covers the receipt page's check of the public log: it verifies the proof with
// Web Crypto against the signed checkpoint and the served key and says so in both languages;
// a tampered proof is reported, never shown as verified.
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
		// entry 3 of 3: the difficulty change, then two ballots.
		got := tab.text(`#log`)
		root := evaluate[string](tab, `document.getElementById('log').dataset.root`)
		if !strings.Contains(got, "Checked in your browser: your ballot is entry 3 of 3 in the public log, root "+root[:12]) {
			t.Errorf("log check says %q", got)
		}
		tab.expectText(`#answer strong`, "Your ballot is recorded.")
		tab.screenshot("receipt-log.png", false)
		tab.checkAccessible("receipt with log check")
		tab.click(`#lang`)
		tab.waitTrue(`document.getElementById('log').textContent.includes('您的选票是公开日志 3 条记录中的第 3 条')`)
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
		tab.waitTrue(`document.getElementById('log').dataset.size === '3'`)
		if got := tab.text(`#log`); !strings.HasPrefix(got, "公开日志 3 条 · public log: 3 entries · ") || len(got) != len("公开日志 3 条 · public log: 3 entries · ")+12 {
			t.Errorf("the screen's checkpoint corner says %q", got)
		}
		tab.screenshot("screen-checkpoint.png", false)
		tab.navigate(p.url + "/live/" + builtinPoll)
		tab.waitTrue(`document.getElementById('log').dataset.size === '3'`)
		if got := tab.text(`#log`); !strings.HasPrefix(got, "Public log: 3 entries, root ") {
			t.Errorf("the live page's checkpoint says %q", got)
		}
	})
}
