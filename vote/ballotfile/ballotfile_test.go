package ballotfile_test

import (
	"github.com/livevote/livevote/vote/ballotfile"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote"
)

func TestBuiltin(t *testing.T) {
	polls, err := ballotfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(polls) != 1 {
		t.Fatalf("built-in ballot has %d polls, want 1", len(polls))
	}
	p := polls[0]
	if p.ID != "guangzhou-2023" || len(p.Candidates) != 15 || p.MaxChoices != 1 || p.Limit != vote.LimitOnce {
		t.Errorf("built-in poll = %s with %d candidates, max %d, limit %s", p.ID, len(p.Candidates), p.MaxChoices, p.Limit)
	}
	if p.Initial.Status != vote.StatusOpen || p.Initial.Results != vote.ResultsHidden {
		t.Errorf("built-in poll starts %s/%s, want open/hidden", p.Initial.Status, p.Initial.Results)
	}
	if p.FixedOrder {
		t.Error("the built-in poll keeps a fixed order: its candidates should show in each voter's own order")
	}
	for _, c := range p.Candidates {
		if c.Summary.En == "" || c.Summary.Zh == "" {
			t.Errorf("candidate %s lacks a summary in both languages", c.ID)
		}
	}
}

func TestParseErrorsNameFilePollAndField(t *testing.T) {
	const cand = `candidates: [{id: a, city: {en: A, zh: A}, country: {en: C, zh: C}, initiative: {en: I, zh: I}}]`
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", ``, "empty ballot file"},
		{"no polls", `polls: []`, "polls: at least one"},
		{"unknown field", `polls: [{id: p, colour: red}]`, "colour"},
		{"bad id", `polls: [{id: "P Q"}]`, `poll P Q: id:`},
		{"no title", `polls: [{id: p, ` + cand + `}]`, "poll p: title"},
		{"bad limit", `polls: [{id: p, title: {en: T, zh: T}, limit: weekly, ` + cand + `}]`, "poll p: limit"},
		{"bad tz", `polls: [{id: p, title: {en: T, zh: T}, time_zone: Mars/Base, ` + cand + `}]`, "poll p: time_zone"},
		{"bad status", `polls: [{id: p, title: {en: T, zh: T}, status: scheduled, ` + cand + `}]`, "poll p: status"},
		{"bad results", `polls: [{id: p, title: {en: T, zh: T}, results: secret, ` + cand + `}]`, "poll p: results"},
		{"bad difficulty", `polls: [{id: p, title: {en: T, zh: T}, difficulty: -1, ` + cand + `}]`, "poll p: difficulty"},
		{"max choices", `polls: [{id: p, title: {en: T, zh: T}, max_choices: 2, ` + cand + `}]`, "poll p: max_choices"},
		{"no candidates", `polls: [{id: p, title: {en: T, zh: T}}]`, "poll p: candidates"},
		{"candidate text", `polls: [{id: p, title: {en: T, zh: T}, candidates: [{id: a, city: {en: A}}]}]`, "candidate a: "},
		{"dates", `polls: [{id: p, title: {en: T, zh: T}, opens_at: 2023-11-30T00:00:00Z, closes_at: 2023-11-01T00:00:00Z, ` + cand + `}]`, "poll p: closes_at"},
		{"bad reveal", `polls: [{id: p, title: {en: T, zh: T}, reveal: {top: -1}, ` + cand + `}]`, "poll p: reveal: top"},
		{"bad order", `polls: [{id: p, title: {en: T, zh: T}, order: alphabetical, ` + cand + `}]`, "poll p: order"},
		{"twice", `polls: [{id: p, title: {en: T, zh: T}, ` + cand + `}, {id: p, title: {en: T, zh: T}, ` + cand + `}]`, "poll p: id: defined twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ballotfile.Parse([]byte(tt.yaml), "polls.yaml")
			if err == nil {
				t.Fatal("Parse accepted a bad ballot file")
			}
			if !strings.HasPrefix(err.Error(), "polls.yaml: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to name the file and contain %q", err, tt.want)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	const poll = `polls: [{id: p, title: {en: T, zh: T}, %s candidates: [{id: a, city: {en: A, zh: A}, country: {en: C, zh: C}, initiative: {en: I, zh: I}}]}]`
	for order, fixed := range map[string]bool{"": false, "order: random,": false, "order: fixed,": true} {
		polls, err := ballotfile.Parse([]byte(strings.Replace(poll, "%s", order, 1)), "polls.yaml")
		if err != nil {
			t.Fatalf("%q: %v", order, err)
		}
		if polls[0].FixedOrder != fixed {
			t.Errorf("%q: FixedOrder = %v", order, polls[0].FixedOrder)
		}
	}
}
