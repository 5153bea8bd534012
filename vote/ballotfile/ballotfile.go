// Package ballotfile reads ballot files (YAML, or JSON) into validated vote.Polls, and holds the
// built-in ballot (the Guangzhou Award's 2023 vote).
package ballotfile

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed guangzhou-2023.yaml
var builtin []byte

// BuiltinName is how errors and logs name the embedded ballot.
const BuiltinName = "built-in ballot (guangzhou-2023)"

// Builtin returns the polls of the embedded ballot: the "City of Your Choice" vote of the 6th
// Guangzhou Award (2023).
func Builtin() ([]*vote.Poll, error) { return Parse(builtin, BuiltinName) }

// BuiltinYAML returns the text of the embedded ballot file.
func BuiltinYAML() []byte { return bytes.Clone(builtin) }

// Load reads and validates the ballot file at path (YAML, or JSON, which is YAML too).
func Load(path string) ([]*vote.Poll, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ballot file: %w", err)
	}
	return Parse(data, path)
}

// file is the ballot file as written.
type file struct {
	Polls []filePoll `yaml:"polls"`
}

type filePoll struct {
	ID          string          `yaml:"id"`
	Title       vote.Text       `yaml:"title"`
	Description vote.Text       `yaml:"description"`
	MaxChoices  *int            `yaml:"max_choices"`
	Limit       vote.Limit      `yaml:"limit"`
	TimeZone    string          `yaml:"time_zone"`
	OpensAt     *time.Time      `yaml:"opens_at"`
	ClosesAt    *time.Time      `yaml:"closes_at"`
	Status      vote.Status     `yaml:"status"`
	Results     vote.Visibility `yaml:"results"`
	Difficulty  *int            `yaml:"difficulty"`
	Order       string          `yaml:"order"`
	Reveal      *fileReveal     `yaml:"reveal"`
	Fraud       *fileFraud      `yaml:"fraud"`
	Branding    *fileBranding   `yaml:"branding"`
	Candidates  []fileCandidate `yaml:"candidates"`

	// Added in issue 25 (languages.go, embed.go).
	Languages       []string `yaml:"languages"`
	ScreenLanguages []string `yaml:"screen_languages"`
	EmbedSites      []string `yaml:"embed_sites"`
}

// fileReveal is how the stage reveals the result: Top, when set, stages only the first Top
// places (the rest show at once when the reveal starts); TieBreak is the organisers' rule for a
// tie for first place, shown in the reveal's checklist.
type fileReveal struct {
	Top      int       `yaml:"top"`
	TieBreak vote.Text `yaml:"tie_break"`
}

type fileCandidate struct {
	ID         string    `yaml:"id"`
	City       vote.Text `yaml:"city"`
	Country    vote.Text `yaml:"country"`
	Initiative vote.Text `yaml:"initiative"`
	Summary    vote.Text `yaml:"summary"`
	Theme      vote.Text `yaml:"theme"`
}

// DefaultDifficulty is the proof-of-work strength of a poll whose file does not set one: about
// 25,000 SHA-256 hashes on average, well under a second in a phone's browser.
const DefaultDifficulty = 50_000

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// DefaultLanguages are the languages of a poll whose file names none (the ballot files written
// before languages were data).
var DefaultLanguages = []string{"en", "zh"}

// tagPattern is a BCP 47 language tag as ballot files write them: a primary language subtag in
// lowercase, then optional subtags (script, region: "zh-Hant", "pt-BR").
var tagPattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// Parse validates a ballot file's contents. name says where they came from; every error names it,
// and the poll and the field at fault. A logo given as a file name is read from name's folder.
func Parse(data []byte, name string) ([]*vote.Poll, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty ballot file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(f.Polls) == 0 {
		return nil, fmt.Errorf("%s: polls: at least one poll is required", name)
	}
	polls := make([]*vote.Poll, 0, len(f.Polls))
	seen := map[string]bool{}
	for i, fp := range f.Polls {
		p, err := fp.poll(filepath.Dir(name))
		if err != nil {
			who := fp.ID
			if who == "" {
				who = fmt.Sprintf("#%d", i+1)
			}
			return nil, fmt.Errorf("%s: poll %s: %w", name, who, err)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("%s: poll %s: id: defined twice", name, p.ID)
		}
		seen[p.ID] = true
		polls = append(polls, p)
	}
	return polls, nil
}

// poll checks and builds one poll; dir is the ballot file's folder, where a logo file is read.
func (fp filePoll) poll(dir string) (*vote.Poll, error) {
	if !idPattern.MatchString(fp.ID) {
		return nil, fmt.Errorf("id: %q must be 1-63 lowercase letters, digits and dashes", fp.ID)
	}
	langs, screen, err := fp.languages()
	if err != nil {
		return nil, err
	}
	texts := textCheck{langs: langs}
	texts.need("title", fp.Title)
	texts.may("description", &fp.Description)
	if texts.err != nil {
		return nil, texts.err
	}
	p := vote.Poll{
		ID:          fp.ID,
		Title:       fp.Title,
		Description: fp.Description,
		MaxChoices:  1,
		Limit:       fp.Limit,
		Location:    time.UTC,
		OpensAt:     fp.OpensAt,
		ClosesAt:    fp.ClosesAt,
		Initial:     vote.State{Status: fp.Status, Results: fp.Results, Difficulty: DefaultDifficulty},
	}
	p.Languages, p.ScreenLanguages = langs, screen
	if p.Limit == "" {
		p.Limit = vote.LimitOnce
	}
	if p.Limit != vote.LimitOnce && p.Limit != vote.LimitDaily {
		return nil, fmt.Errorf("limit: %q must be once or daily", p.Limit)
	}
	if fp.TimeZone != "" {
		loc, err := time.LoadLocation(fp.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("time_zone: %q is not a known time zone", fp.TimeZone)
		}
		p.Location = loc
	}
	if p.OpensAt != nil && p.ClosesAt != nil && !p.ClosesAt.After(*p.OpensAt) {
		return nil, errors.New("closes_at: must be after opens_at")
	}
	if p.Initial.Status == "" {
		p.Initial.Status = vote.StatusOpen
	}
	if !p.Initial.Status.Settable() {
		return nil, fmt.Errorf("status: %q must be open, paused or closed (scheduled follows from opens_at)", p.Initial.Status)
	}
	if p.Initial.Results == "" {
		p.Initial.Results = vote.ResultsHidden
	}
	if !p.Initial.Results.Valid() {
		return nil, fmt.Errorf("results: %q must be hidden, live or revealed", p.Initial.Results)
	}
	if fp.Difficulty != nil {
		p.Initial.Difficulty = *fp.Difficulty
	}
	if r := fp.Reveal; r != nil {
		if r.Top < 0 {
			return nil, fmt.Errorf("reveal: top: %d must be 1 or more (0 or absent: every place)", r.Top)
		}
		p.RevealTop, p.TieBreak = r.Top, r.TieBreak
	}
	switch fp.Order {
	case "", "random":
	case "fixed":
		p.FixedOrder = true
	default:
		return nil, fmt.Errorf("order: %q must be random or fixed", fp.Order)
	}
	if p.Initial.Difficulty < 0 || p.Initial.Difficulty > vote.MaxDifficulty {
		return nil, fmt.Errorf("difficulty: %d must be between 0 and %d", p.Initial.Difficulty, vote.MaxDifficulty)
	}
	fraud, err := fp.Fraud.policy()
	if err != nil {
		return nil, err
	}
	p.Fraud = fraud
	if p.Branding, err = fp.Branding.branding(dir); err != nil {
		return nil, err
	}
	if p.EmbedSites, err = embedSites(fp.EmbedSites); err != nil {
		return nil, err
	}
	if len(fp.Candidates) == 0 {
		return nil, errors.New("candidates: at least one candidate is required")
	}
	if fp.MaxChoices != nil {
		p.MaxChoices = *fp.MaxChoices
	}
	if p.MaxChoices < 1 || p.MaxChoices > len(fp.Candidates) {
		return nil, fmt.Errorf("max_choices: %d must be between 1 and the number of candidates (%d)", p.MaxChoices, len(fp.Candidates))
	}
	seen := make(map[string]bool, len(fp.Candidates))
	for i, fc := range fp.Candidates {
		where := fmt.Sprintf("candidates[%d]", i)
		if !idPattern.MatchString(fc.ID) {
			return nil, fmt.Errorf("%s.id: %q must be 1-63 lowercase letters, digits and dashes", where, fc.ID)
		}
		where = fmt.Sprintf("candidate %s", fc.ID)
		if seen[fc.ID] {
			return nil, fmt.Errorf("%s: id defined twice", where)
		}
		texts := textCheck{langs: langs}
		texts.need("city", fc.City)
		texts.need("country", fc.Country)
		texts.need("initiative", fc.Initiative)
		texts.may("summary", &fc.Summary)
		if fc.Theme != nil && fc.Theme.IsZero() {
			return nil, fmt.Errorf("%s: theme: empty (leave it out instead)", where)
		}
		if fc.Theme != nil {
			texts.need("theme", fc.Theme)
		}
		if texts.err != nil {
			return nil, fmt.Errorf("%s: %w", where, texts.err)
		}
		seen[fc.ID] = true
		p.Candidates = append(p.Candidates, vote.Candidate(fc))
	}
	return vote.NewPoll(p), nil
}
