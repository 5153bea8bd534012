// Package static holds livevote's web pages: plain HTML, CSS and JavaScript modules (and the proof-
// of-work Web Worker), embedded in the binary and served as they are, with no build step.
//
// The pages, each a shell that its module fills from the public API and the live WebSocket:
//
//	vote.html       the ballot (/ and /vote/{poll}); vote.js, pow.js (the Web Worker); the server
//	                writes the poll, the voter's ballot and a challenge into it (its boot block)
//	receipt.html    a receipt check (/receipt and /receipt/{receipt})
//	screen.html     the big screen at the ceremony (/screen/{poll})
//	organiser.html  the organiser's console (/organiser/{poll})
//	live.html       public participation and, once revealed, the results (/live/{poll})
//	notfound.html   the answer for a page or a poll that does not exist (to browsers)
//
// Modules the pages share: common.js (language, API calls, the live connection), messages.js
// (every API error code as a sentence in English and Chinese), bars.js and chart.js (results
// bars and turnout charts for the dashboards). The console is organiser.js (the session) and a
// module per feature: organiser-attention.js, organiser-controls.js, organiser-turnout.js,
// organiser-records.js, organiser-fraud.js with organiser-held.js and organiser-trusted.js,
// organiser-groups.js (held ballots by source),
// helpers in organiser-view.js and organiser-confirm.js, the sentences in organiser-strings.js.
// Styles: app.css (every page; all the ballot needs), dash.css (dashboards and results bars),
// organiser.css (the console's layout), screen.css (the big screen).
//
// codes.js is not here: the server makes it at start from the lists defined in Go (the error
// codes, the results of a vote, the fraud signals), and the pages import it from /static/ as
// they import these files.
package static

import (
	"embed"
	"io/fs"
)

//go:embed *.html *.css *.js *.svg
var files embed.FS

// FS returns the embedded files by name ("vote.html", "app.css", ...), in one flat folder. It is
// read-only and safe for concurrent use.
func FS() fs.FS { return files }
