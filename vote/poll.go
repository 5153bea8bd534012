// Package vote is the domain of livevote: polls and their candidates, ballots and receipts, the
// live snapshot of a poll, the ballot log and its recount, the sentinel errors every layer speaks,
// the fraud policy types (verdict.go), the store's interfaces split by concern (store.go), and
// Booth, the workflow of one vote attempt (booth.go). It imports no driver, no web framework, no
// file format and no metrics: the stores (memstore, redisstore) and the ballot-file loader
// (ballotfile) are packages of their own under it, and a test checks the dependencies.
package vote

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Text is a piece of text in the languages of the ballot: the text by language tag (BCP 47, as
// the ballot file writes it: "en", "zh", "fr", "es", "ar", "pt-BR"). A Text read from a ballot file
// has every language of its poll (Poll.Languages), "" for an optional text that is left out.
type Text map[string]string

// IsZero reports whether no language has any text.
func (t Text) IsZero() bool {
	for _, s := range t {
		if s != "" {
			return false
		}
	}
	return true
}

// In returns the text in language tag, else in the language of tag's primary subtag ("pt" for
// "pt-BR"), else in fallback; "" when none has any.
func (t Text) In(tag, fallback string) string {
	if s := t[tag]; s != "" {
		return s
	}
	if base, _, ok := strings.Cut(tag, "-"); ok && t[base] != "" {
		return t[base]
	}
	return t[fallback]
}

// Status is whether a poll takes ballots.
type Status string

// The statuses of a poll. Scheduled is never stored: it is what an open poll reports before its
// opens_at.
const (
	StatusScheduled Status = "scheduled"
	StatusOpen      Status = "open"
	StatusPaused    Status = "paused"
	StatusClosed    Status = "closed"
)

// Statuses are every status a poll reports, in the order of its life.
var Statuses = []Status{StatusScheduled, StatusOpen, StatusPaused, StatusClosed}

// Settable reports whether an organiser may set the status (scheduled follows from opens_at).
func (s Status) Settable() bool {
	return s == StatusOpen || s == StatusPaused || s == StatusClosed
}

// Visibility says who may see the per-candidate tally.
type Visibility string

// The visibilities of a poll's results.
const (
	ResultsHidden   Visibility = "hidden"
	ResultsLive     Visibility = "live"
	ResultsRevealed Visibility = "revealed"
)

// Visibilities are every visibility of a poll's results, from the most private.
var Visibilities = []Visibility{ResultsHidden, ResultsLive, ResultsRevealed}

// Valid reports whether v is one of the known visibilities.
func (v Visibility) Valid() bool { return slices.Contains(Visibilities, v) }

// Public reports whether the public may see the tally (while revealed, as far as the stage has
// shown it: Snapshot.PublicTally).
func (v Visibility) Public() bool { return v == ResultsLive || v == ResultsRevealed }

// Limit says how often one voter may cast a ballot in a poll.
type Limit string

// The limits of a poll.
const (
	LimitOnce  Limit = "once"  // one ballot per voter for the poll's life
	LimitDaily Limit = "daily" // one ballot per voter per calendar day in the poll's time zone
)

// MaxDifficulty is the strongest proof-of-work an organiser may ask for (max_number of a challenge).
const MaxDifficulty = 10_000_000

// Candidate is one option on a ballot.
type Candidate struct {
	ID         string `json:"id"`
	City       Text   `json:"city"`
	Country    Text   `json:"country"`
	Initiative Text   `json:"initiative"`
	Summary    Text   `json:"summary"`
	Theme      Text   `json:"theme,omitempty"` // nil when the candidate has none
}

// Poll is one vote as the ballot file defines it. A Poll is immutable once loaded; what organisers
// change while it runs (status, results visibility, difficulty) is its State, kept in the Store.
type Poll struct {
	ID          string
	Title       Text
	Description Text
	Candidates  []Candidate
	MaxChoices  int
	Limit       Limit
	Location    *time.Location
	OpensAt     *time.Time
	ClosesAt    *time.Time
	// Initial is the state the poll starts in, until an organiser changes it.
	Initial State
	// Fraud is the poll's fraud policy (DefaultFraudPolicy unless the ballot file says otherwise).
	Fraud FraudPolicy
	// Branding is the organisers' logo and colours for the pages (zero: livevote's own look).
	Branding Branding
	// FixedOrder keeps the candidates in the ballot file's order on every ballot; otherwise each
	// voter's ballot shows them in an order of its own (random, stable for that voter), so that
	// no place on a long list is favoured.
	FixedOrder bool
	// RevealTop, when above zero, stages only the first RevealTop places of the reveal: the
	// places below show at once when it starts. TieBreak is the organisers' rule for a tie for
	// first place (shown before the reveal), zero when they gave none.
	RevealTop int
	TieBreak  Text

	// Languages are the languages of the poll's texts, the first the default: every Text of the
	// poll has each of them. ScreenLanguages are the one or two the big screen shows, among
	// Languages.
	Languages       []string
	ScreenLanguages []string
	// EmbedSites are the origins (https://partner.example.org, or https://*.example.org) whose
	// pages may show the ballot in a frame; none: no site may.
	EmbedSites []string

	index map[string]int // candidate id -> index in Candidates (NewPoll)
}

// NewPoll returns a poll as the caller defined it, ready for use: it indexes the candidates. The
// caller (package ballotfile) validated p, candidate ids unique included; p's fields must not
// change afterwards.
func NewPoll(p Poll) *Poll {
	p.index = make(map[string]int, len(p.Candidates))
	for i, c := range p.Candidates {
		p.index[c.ID] = i
	}
	return &p
}

// Branding is how the organisers dress the big screen and the pages: an optional logo and two
// optional colours. Everything is served by livevote itself, never by a third party.
type Branding struct {
	// Logo is the image's bytes and LogoType its media type (image/svg+xml, image/png, image/jpeg
	// or image/webp); nil when the poll has no logo.
	Logo     []byte
	LogoType string
	// Background and Accent are colours as #rrggbb ("" for the default): the big screen's
	// background, and the colour of the leader's bar and the winner. Dark text is drawn on the
	// accent, so it must be light.
	Background, Accent string
}

// State is the part of a poll that organisers change while it runs. Every instance reads it from
// the Store, so all of them agree.
type State struct {
	Status     Status     `json:"status"`
	Results    Visibility `json:"results"`
	Difficulty int        `json:"difficulty"`
	// HoldNewUntil is when the organiser's hold on new networks ends (zero: none): until then a
	// ballot that is the first of its address, subnet and group in the hour is held for review
	// (SourceCaps.HoldNew). Never in a public answer: it would tell a farm its ballots are held.
	HoldNewUntil time.Time `json:"-"`
	// Withheld is, while the results are revealed, how many places (from the first down, see
	// Places) the stage has not shown yet: the presenter shows them one by one, and the public
	// sees only what the stage has shown (Snapshot.PublicTally). Zero: everything is shown.
	Withheld int `json:"withheld"`
	// Before is what Withheld was before the last step, and StepAt when (Unix milliseconds) that
	// step was taken: a step forward becomes public StepGrace after it (Snapshot.PublicTally), so
	// that the presenter's screen shows a place before anyone else.
	Before int   `json:"before"`
	StepAt int64 `json:"step_at"`
	// Corrected is when (Unix milliseconds) the tally last changed after the result became a
	// statement (State.Final): a late release or void, shown to everyone as a correction. Zero:
	// never. A new reveal starts at zero.
	Corrected int64 `json:"corrected"`
	// Audited is when (Unix milliseconds) the last audit (the ballot log recounted against the
	// counters) ran on the closed poll, and AuditConsistent whether it found them consistent. Zero:
	// no audit since the close (a change of status clears it). Organisers only: never public.
	Audited         int64 `json:"-"`
	AuditConsistent bool  `json:"-"`
}

// Candidate returns the candidate with the given id.
func (p *Poll) Candidate(id string) (Candidate, bool) {
	i, ok := p.index[id]
	if !ok {
		return Candidate{}, false
	}
	return p.Candidates[i], true
}

// CheckChoices returns nil when choices is a valid selection for the poll: at least one, at most
// MaxChoices, every id a candidate, no id twice. Otherwise it returns an error wrapping
// ErrInvalidChoice that says which rule failed.
func (p *Poll) CheckChoices(choices []string) error {
	if len(choices) == 0 {
		return fmt.Errorf("%w: choose at least one candidate", ErrInvalidChoice)
	}
	if len(choices) > p.MaxChoices {
		return fmt.Errorf("%w: at most %d choices, got %d", ErrInvalidChoice, p.MaxChoices, len(choices))
	}
	for i, c := range choices {
		if _, ok := p.index[c]; !ok {
			return fmt.Errorf("%w: %q is not a candidate of this poll", ErrInvalidChoice, c)
		}
		for _, d := range choices[:i] {
			if c == d {
				return fmt.Errorf("%w: %q chosen twice", ErrInvalidChoice, c)
			}
		}
	}
	return nil
}

// Period names the stretch of time in which a voter may cast one ballot: empty for a once poll,
// the calendar day (2006-01-02) in the poll's time zone for a daily poll.
func (p *Poll) Period(at time.Time) string {
	if p.Limit != LimitDaily {
		return ""
	}
	return at.In(p.Location).Format(time.DateOnly)
}

// Effective is the status voters see at the given time: a stored open status reads scheduled
// before opens_at and closed from closes_at on; paused and closed are as stored.
func (p *Poll) Effective(stored Status, at time.Time) Status {
	if stored != StatusOpen {
		return stored
	}
	if p.OpensAt != nil && at.Before(*p.OpensAt) {
		return StatusScheduled
	}
	if p.ClosesAt != nil && !at.Before(*p.ClosesAt) {
		return StatusClosed
	}
	return StatusOpen
}

// Turn is when the schedule next changes what Effective says of the stored status after at:
// opens_at or closes_at, whichever comes first after at, while stored is open; zero when no
// schedule turn is ahead.
func (p *Poll) Turn(stored Status, at time.Time) time.Time {
	if stored != StatusOpen {
		return time.Time{}
	}
	for _, t := range []*time.Time{p.OpensAt, p.ClosesAt} {
		if t != nil && at.Before(*t) {
			return *t
		}
	}
	return time.Time{}
}
