// Package votetest holds what tests of several packages share: test polls, the Store contract
// suite, and Redis servers for tests.
package votetest

import (
	"crypto/rand"
	"fmt"
	"github.com/livevote/livevote/vote/ballotfile"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote"
)

// PollYAML returns the ballot-file text of one test poll with a unique id (so tests may share one
// Redis), candidates a, b and c, difficulty 0, status open, results hidden and a fraud policy that
// reports signals but never holds (tests vote from one address with Go's HTTP client: a test
// about holds gives its own "fraud: {...}"). extra lines (YAML keys of a poll, such as
// "max_choices: 2") are added to it; a key given there wins.
func PollYAML(extra ...string) string {
	id := "t-" + strings.ToLower(rand.Text()[:12])
	keys := map[string]string{"id": id, "title": "{en: Test poll, zh: 测试}", "difficulty": "0", "status": "open", "results": "hidden", "fraud": "{hold: false}"}
	var b strings.Builder
	b.WriteString("polls:\n  - candidates:\n")
	for _, c := range []string{"a", "b", "c"} {
		fmt.Fprintf(&b, "      - {id: %s, city: {en: City %s, zh: 城%s}, country: {en: Land, zh: 国}, initiative: {en: Idea %s, zh: 想法%s}, summary: {en: S, zh: S}}\n", c, c, c, c, c)
	}
	for _, e := range extra {
		k, _, _ := strings.Cut(e, ":")
		keys[strings.TrimSpace(k)] = ""
		b.WriteString("    " + e + "\n")
	}
	for _, k := range []string{"id", "title", "difficulty", "status", "results", "fraud"} {
		if v := keys[k]; v != "" {
			fmt.Fprintf(&b, "    %s: %s\n", k, v)
		}
	}
	return b.String()
}

// Poll returns a parsed test poll (see PollYAML).
func Poll(tb testing.TB, extra ...string) *vote.Poll {
	tb.Helper()
	polls, err := ballotfile.Parse([]byte(PollYAML(extra...)), "test poll")
	if err != nil {
		tb.Fatal(err)
	}
	return polls[0]
}
