package ballotfile_test

import (
	"github.com/livevote/livevote/vote/ballotfile"
	"testing"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

// FuzzParse: any input is either refused with an error or yields polls that keep every rule of a
// ballot file. Seeds: testdata/fuzz/FuzzParse and the ones added here.
func FuzzParse(f *testing.F) {
	f.Add([]byte(votetest.PollYAML("max_choices: 2", "limit: daily", "time_zone: Europe/Berlin")))
	f.Add([]byte(`{"polls":[{"id":"p","title":{"en":"T","zh":"T"},"candidates":[{"id":"a","city":{"en":"A","zh":"A"},"country":{"en":"C","zh":"C"},"initiative":{"en":"I","zh":"I"}}]}]}`))
	f.Add([]byte("polls: [{id: p, opens_at: 2023-01-01T00:00:00Z, closes_at: 2022-01-01T00:00:00Z}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		polls, err := ballotfile.Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, p := range polls {
			if p.ID == "" || ids[p.ID] {
				t.Fatalf("poll id %q empty or repeated", p.ID)
			}
			ids[p.ID] = true
			if p.MaxChoices < 1 || p.MaxChoices > len(p.Candidates) {
				t.Fatalf("poll %s: max_choices %d with %d candidates", p.ID, p.MaxChoices, len(p.Candidates))
			}
			if p.Limit != vote.LimitOnce && p.Limit != vote.LimitDaily || p.Location == nil {
				t.Fatalf("poll %s: limit %q, location %v", p.ID, p.Limit, p.Location)
			}
			if !p.Initial.Status.Settable() || !p.Initial.Results.Valid() || p.Initial.Difficulty < 0 || p.Initial.Difficulty > vote.MaxDifficulty {
				t.Fatalf("poll %s: initial state %+v", p.ID, p.Initial)
			}
			for _, l := range p.Languages {
				if p.Title[l] == "" || p.Description == nil {
					t.Fatalf("poll %s: title %+v, description %+v without %q", p.ID, p.Title, p.Description, l)
				}
			}
			for _, c := range p.Candidates {
				if got, ok := p.Candidate(c.ID); !ok || got.ID != c.ID {
					t.Fatalf("poll %s: candidate %q not found by id", p.ID, c.ID)
				}
				if err := p.CheckChoices([]string{c.ID}); err != nil {
					t.Fatalf("poll %s: choosing %s: %v", p.ID, c.ID, err)
				}
			}
		}
	})
}
