package server

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// codesModule is the name under /static/ of the module that gives the pages the lists defined in
// Go: no file of that name is in package static.
const codesModule = "codes.js"

// signalView is a fraud signal as the pages get it: its name and its severity ("definite",
// "strong", "weak" or "pending").
type signalView struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
}

// codesJS makes the ES module /static/codes.js, once at start, from the Go lists: the API's error
// codes (ErrorCodes), the results of a vote attempt (VoteResults) and the fraud signals
// (vote.Signals) with their severity. The pages keep their sentences for each; the browser test
// checks that every one has a sentence in every language.
func codesJS() []byte {
	signals := make([]signalView, 0, len(vote.Signals))
	for _, s := range vote.Signals {
		signals = append(signals, signalView{string(s), fraud.SeverityOf(s).String()})
	}
	var b bytes.Buffer
	b.WriteString("// codes.js: made by the server at start from its Go lists (server/errors.go, package vote);\n")
	b.WriteString("// there is no such file to edit.\n\n")
	for _, v := range []struct {
		doc, name string
		value     any
	}{
		{"every error code of the API", "errorCodes", ErrorCodes()},
		{"the results of a vote attempt: accepted, held, or the code that refused it", "voteResults", VoteResults()},
		{"the fraud signals, in the order a verdict lists them, with their severity", "signals", signals},
	} {
		j, err := json.Marshal(v.value)
		if err != nil {
			panic(err) // strings only
		}
		fmt.Fprintf(&b, "// %s\nexport const %s = %s;\n", v.doc, v.name, j)
	}
	return b.Bytes()
}
