package pages

import (
	"context"
	"encoding/json"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/vote"
)

// ballotBoot is what the ballot page carries for its first paint, in a
// <script type="application/json" id="boot"> block: the poll as GET /api/v1/polls/{poll} answers
// it, the voter's own ballot as GET .../me does, and a proof-of-work challenge as GET .../challenge
// does (absent unless the poll is open and the voter has not voted). With it the ballot shows and
// the proof of work starts without another round trip on a slow network.
type ballotBoot struct {
	Poll      json.RawMessage   `json:"poll"` // API.PollView
	Me        any               `json:"me"`   // API.Me
	Challenge *access.Challenge `json:"challenge,omitempty"`

	poll *vote.Poll // the poll of the page
}

// handleBallotPage serves the ballot (vote.html) with its ballotBoot: for the poll withPollPage
// found for :poll, or at / (no poll of its own) for the first open poll (else the first poll). It gives a new voter the voter cookie, as GET /api/v1/polls/{poll} does. When
// the store cannot answer, the page goes out without its boot block and loads what it needs itself.
// The page is the voter's own: it is never cached.
func (pg *Pages) Ballot() fiber.Handler {
	page := pg.shell("vote.html")
	return func(c *fiber.Ctx) error {
		pageHeaders(c)
		p := pg.cfg.PollOf(c) // nil at /
		allowFraming(c, p)
		var voter string
		if p != nil && len(p.EmbedSites) > 0 && framedCrossSite(c) {
			voter = pg.cfg.Keys.EnsurePartitionedVoter(c)
		} else {
			voter = pg.cfg.Keys.EnsureVoter(c)
		}
		boot, err := pg.ballotBoot(c.UserContext(), p, voter)
		if err != nil {
			pg.cfg.Logger.Warn("ballot page without its boot block", "err", err)
			return page.send(c)
		}
		data, err := json.Marshal(boot) // escapes <, > and &: safe inside <script>
		if err != nil {
			return err
		}
		lang := pageLanguage(c, boot.poll)
		tags, err := pg.shareTags(c, boot.poll, lang, "vote")
		if err != nil {
			pg.cfg.Logger.Warn("ballot page without its share tags", "err", err)
		}
		block := append([]byte(`<script type="application/json" id="boot">`), data...)
		open, head := pg.pageHead(lang, tags, append(block, "</script>\n"...))
		return sendPage(c, page, open, head)
	}
}

// ballotBoot gathers the ballot page's boot block for poll p (nil: the first open poll, else the
// first) and the voter with id.
func (pg *Pages) ballotBoot(ctx context.Context, p *vote.Poll, voter string) (*ballotBoot, error) {
	if p == nil {
		p = pg.cfg.Polls[0]
		for _, q := range pg.cfg.Polls {
			st, err := pg.cfg.API.State(ctx, q)
			if err != nil {
				return nil, err
			}
			if st.Status == vote.StatusOpen {
				p = q
				break
			}
		}
	}
	st, err := pg.cfg.API.State(ctx, p)
	if err != nil {
		return nil, err
	}
	me, voted, err := pg.cfg.API.Me(ctx, p, voter)
	if err != nil {
		return nil, err
	}
	view, err := pg.cfg.API.PollView(p, st)
	if err != nil {
		return nil, err
	}
	b := &ballotBoot{Poll: view, Me: me, poll: p}
	if st.Status == vote.StatusOpen && !voted {
		if st.Difficulty == 0 {
			b.Challenge = &access.Challenge{Algorithm: "none"}
		} else {
			ch := pg.cfg.Keys.NewChallenge(p.ID, pg.cfg.Keys.VoterKey(voter), st.Difficulty, pg.cfg.Now())
			b.Challenge = &ch
		}
	}
	return b, nil
}
