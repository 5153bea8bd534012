package server

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/vote"
)

// pollView is a poll as GET /api/v1/polls/{poll} answers it.
type pollView struct {
	ID          string           `json:"id"`
	Title       vote.Text        `json:"title"`
	Description vote.Text        `json:"description"`
	MaxChoices  int              `json:"max_choices"`
	Limit       vote.Limit       `json:"limit"`
	TimeZone    string           `json:"time_zone"`
	OpensAt     *time.Time       `json:"opens_at"`
	ClosesAt    *time.Time       `json:"closes_at"`
	Status      vote.Status      `json:"status"`
	Results     vote.Visibility  `json:"results"`
	Difficulty  int              `json:"difficulty"`
	Candidates  []vote.Candidate `json:"candidates"`
	Order       string           `json:"order"`
	Branding    *brandingView    `json:"branding,omitempty"`

	// Added in issue 25: the languages of the poll's texts (the first the default), and the big
	// screen's.
	Languages       []string `json:"languages"`
	ScreenLanguages []string `json:"screen_languages"`
}

// brandingView is a poll's branding: the path of its logo, its colours (#rrggbb); each optional.
type brandingView struct {
	Logo       string `json:"logo,omitempty"`
	Background string `json:"background,omitempty"`
	Accent     string `json:"accent,omitempty"`
}

func (s *server) handlePolls() fiber.Handler {
	type item struct {
		ID      string          `json:"id"`
		Title   vote.Text       `json:"title"`
		Status  vote.Status     `json:"status"`
		Results vote.Visibility `json:"results"`
	}
	return func(c *fiber.Ctx) error {
		out := make([]item, 0, len(s.order))
		for _, p := range s.order {
			st, err := s.states.get(c.UserContext(), p)
			if err != nil {
				return err
			}
			out = append(out, item{ID: p.ID, Title: p.Title, Status: st.Status, Results: st.Results})
		}
		return c.JSON(fiber.Map{"polls": out})
	}
}

// handlePoll answers the poll and gives the caller a voter cookie when it has none.
func (s *server) handlePoll() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		st, err := s.states.get(c.UserContext(), p)
		if err != nil {
			return err
		}
		body, err := s.views.get(p, st)
		if err != nil {
			return err
		}
		s.keys.EnsureVoter(c)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	}
}

// newPollView is poll p in state st as the API shows it.
func newPollView(p *vote.Poll, st vote.State) pollView {
	v := pollView{
		ID: p.ID, Title: p.Title, Description: p.Description, MaxChoices: p.MaxChoices,
		Limit: p.Limit, TimeZone: p.Location.String(), OpensAt: p.OpensAt, ClosesAt: p.ClosesAt,
		Status: st.Status, Results: st.Results, Difficulty: st.Difficulty, Candidates: p.Candidates,
		Languages: p.Languages, ScreenLanguages: p.ScreenLanguages,
		Order: "random",
	}
	if p.FixedOrder {
		v.Order = "fixed"
	}
	if b := p.Branding; b.Logo != nil || b.Background != "" || b.Accent != "" {
		v.Branding = &brandingView{Background: b.Background, Accent: b.Accent}
		if b.Logo != nil {
			v.Branding.Logo = "/branding/" + url.PathEscape(p.ID) + "/logo"
		}
	}
	return v
}

// handleMe answers whether this voter has a ballot in the poll (in the current period).
func (s *server) handleMe() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		c.Set(fiber.HeaderCacheControl, "no-store")
		me, err := s.me(c.UserContext(), p, s.keys.Voter(c))
		if err != nil {
			return err
		}
		return c.JSON(me)
	}
}

// meView is the answer of GET /api/v1/polls/{poll}/me.
type meView struct {
	Voted      bool       `json:"voted"`
	Receipt    *string    `json:"receipt"`
	Choices    []string   `json:"choices"`
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
}

// me says whether the voter with id (none: "") has a ballot in p in the current period.
func (s *server) me(ctx context.Context, p *vote.Poll, id string) (meView, error) {
	none := meView{Choices: []string{}}
	if id == "" {
		return none, nil
	}
	r, err := s.store.VoterBallot(ctx, p, s.keys.VoterKey(id), p.Period(s.now()))
	switch {
	case errors.Is(err, vote.ErrReceiptNotFound):
		return none, nil
	case err != nil:
		return meView{}, err
	}
	return meView{Voted: true, Receipt: &r.ID, Choices: r.Choices, RecordedAt: &r.RecordedAt}, nil
}

// handleResults answers the counts; the tally only when the public may see it or the caller is an
// organiser.
func (s *server) handleResults() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		snap, err := s.store.Snapshot(c.UserContext(), p, s.now())
		if err != nil {
			return err
		}
		out := publicResults(p, snap)
		if access.RoleOf(c).Can(access.RightRead) {
			out["tally"], out["held"], out["counted"], out["void"] = snap.Tally, snap.Held, snap.Ballots, snap.Void
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(out)
	}
}

// turnoutWindow bounds how far back each step's series reaches.
var turnoutWindow = map[string]struct {
	step, window time.Duration
}{
	"1m": {time.Minute, 24 * time.Hour},
	"1h": {time.Hour, 92 * 24 * time.Hour},
}

// handleTurnout answers the ballots received (void ones included) per step, from the first step with ballots (at most the
// window back) to the current step, zeros included.
func (s *server) handleTurnout() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		name, err := queryValue(c, "step", "1m")
		if err != nil {
			return err
		}
		w, ok := turnoutWindow[name]
		if !ok {
			return errInvalidRequest
		}
		counts, err := s.store.Turnout(c.UserContext(), p, w.step)
		if err != nil {
			return err
		}
		now := s.now().Truncate(w.step)
		from := now
		for t := range counts {
			if start := time.Unix(t, 0); start.Before(from) {
				from = start
			}
		}
		if earliest := now.Add(-w.window); from.Before(earliest) {
			from = earliest
		}
		series := make([][2]any, 0, now.Sub(from)/w.step+1)
		for t := from; !t.After(now); t = t.Add(w.step) {
			series = append(series, [2]any{t.UTC().Format(time.RFC3339), counts[t.Unix()]})
		}
		return c.JSON(fiber.Map{"step": name, "series": series})
	}
}

// handleReceipt answers whether a receipt is recorded, in whichever poll it is.
func (s *server) handleReceipt() fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := s.findReceipt(c.UserContext(), c.Params("receipt"))
		if err != nil {
			return err
		}
		// A held ballot reads as counted here: a voter is never shown that a ballot was held
		// for review. A ballot voided by the organisers reads as not counted once the poll's log
		// is open (before that, a review is sealed: translog/seal.go).
		counted := r.State != vote.BallotVoid || !s.tlog.Opened(s.polls[r.Poll])
		return c.JSON(fiber.Map{"poll": r.Poll, "recorded_at": r.RecordedAt.UTC().Format(time.RFC3339Nano), "counted": counted})
	}
}

// findReceipt returns the receipt id in whichever poll it is, or vote.ErrReceiptNotFound.
func (s *server) findReceipt(ctx context.Context, id string) (vote.Receipt, error) {
	if len(id) > 64 {
		return vote.Receipt{}, vote.ErrReceiptNotFound
	}
	for _, p := range s.order {
		r, err := s.store.Receipt(ctx, p, id)
		if errors.Is(err, vote.ErrReceiptNotFound) {
			continue
		}
		return r, err
	}
	return vote.Receipt{}, vote.ErrReceiptNotFound
}
