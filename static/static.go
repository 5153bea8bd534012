// Package static holds livevote's web pages: plain HTML, CSS and JavaScript modules (and the proof-
// of-work Web Worker), embedded in the binary and served as they are, with no build step.
//
// The files are kept in a folder per page; they are served by name, without the folder, under
// /static/{name} (server/pages), so a module imports another as './common.js' wherever either is
// kept, and a name is used once in all the folders.
//
//	ballot/     vote.html, the ballot (/ and /vote/{poll}): vote.js, pow.js (the Web Worker);
//	            framed.js (the ballot inside a partner's frame) and embed.js (the partner's side);
//	            the server writes the poll, the voter's ballot and a challenge into it (its boot block)
//	receipt/    receipt.html, a receipt check (/receipt and /receipt/{receipt}): receipt.js
//	log/        the ballot log in the browser: logproof.js (a receipt's inclusion proof, the
//	            opening) and checkpoint.js (the latest checkpoint, on the screen and the live page)
//	screen/     screen.html, the big screen at the ceremony (/screen/{poll}): screen.js,
//	            screen-langs.js, screen.css
//	live/       live.html, public participation and, once revealed, the results (/live/{poll})
//	organiser/  organiser.html, the organiser's console (/organiser/{poll}): organiser.js (the
//	            session) and a module per feature: organiser-attention.js, organiser-controls.js,
//	            organiser-turnout.js, organiser-records.js, organiser-fraud.js with
//	            organiser-held.js and organiser-trusted.js, organiser-groups.js (held ballots by
//	            source), helpers in organiser-view.js and organiser-confirm.js, the sentences in
//	            organiser-strings.js; organiser.css (the console's layout)
//	lang/       the pages' sentences, one catalogue per language (lang-{tag}.js)
//	common/     what every page shares: common.js (language, API calls, the live connection),
//	            messages.js (the API's error codes as sentences), bars.js and chart.js (results
//	            bars and turnout charts), app.css (every page; all the ballot needs), dash.css
//	            (dashboards and results bars), icon.svg, notfound.html (the answer for a page or a
//	            poll that does not exist), and codes.js
//
// common/codes.js is generated (go generate ./static): the lists defined in Go that the pages
// use (the API's error codes, the results of a vote, the fraud signals, the statuses and
// visibilities, the languages of the catalogues, the limits). Do not edit it; a test fails when
// it is stale.
package static

//go:generate go run ../internal/pagecodes common/codes.js

import (
	"embed"
	"io/fs"
)

//go:embed ballot common lang live log organiser receipt screen
var files embed.FS

// FS returns the embedded files, in their folders ("ballot/vote.html", "common/app.css", ...).
// It is read-only and safe for concurrent use.
func FS() fs.FS { return files }
