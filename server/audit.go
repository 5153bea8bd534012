package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// handleAudit recounts the ballot log and compares it with the live counters. The recount is
// exact when no ballot arrives during it ("settled"); while ballots flow, it retries a few times
// and then only checks that the log's count lies between the counters before and after.
func (s *server) handleAudit() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		ctx := c.UserContext()
		var rc *vote.Recount
		var err error
		var before, after vote.Snapshot
		settled := false
		for range 3 {
			if before, err = s.store.Snapshot(ctx, p, s.now()); err != nil {
				return err
			}
			if rc, err = vote.Replay(ctx, s.store, p); err != nil {
				return err
			}
			if after, err = s.store.Snapshot(ctx, p, s.now()); err != nil {
				return err
			}
			if settled = len(vote.Differences(before.Count(), after.Count())) == 0; settled {
				break
			}
		}
		diffs := vote.Differences(rc.Count, after.Count())
		consistent := rc.DuplicateVoters == 0 && rc.Unmatched == 0 &&
			(settled && len(diffs) == 0 || !settled && vote.Between(before.Count(), rc.Count, after.Count()))
		if after.State.Status == vote.StatusClosed {
			if err := s.recordAudit(c, p, after.State, after.At, consistent); err != nil {
				return err
			}
		}
		return c.JSON(fiber.Map{
			"poll":       p.ID,
			"consistent": consistent,
			"settled":    settled,
			"checked_at": after.At,
			"log": fiber.Map{
				"entries": rc.Entries, "ballots": rc.Ballots, "held": rc.Held, "void": rc.Void, "tally": rc.Tally,
				"duplicate_voters": rc.DuplicateVoters, "unmatched_reviews": rc.Unmatched,
			},
			"counters":    after.Count(),
			"differences": diffs,
		})
	}
}

// recordAudit records an audit of the closed poll p, checked at at, for the reveal's checklist
// (State.Audited, shared by every instance; st is the state the audit read) and, first, in the
// log as the organiser action "audit" (value "consistent" or "inconsistent"; sealed, as every
// action of review), so that the auditors see when the result was audited and what it found. The
// log gets the first audit since the close and each one that finds otherwise than the last, not
// every one: an audit run again and again must not fill the log.
func (s *server) recordAudit(c *fiber.Ctx, p *vote.Poll, st vote.State, at time.Time, consistent bool) error {
	found := "inconsistent"
	if consistent {
		found = "consistent"
	}
	if st.Audited == 0 || st.AuditConsistent != consistent {
		if err := s.logAction(c, p, "audit", found); err != nil {
			return err
		}
	}
	_, err := s.store.SetAudited(c.UserContext(), p, at.UnixMilli(), consistent)
	return err
}
