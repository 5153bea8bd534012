package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// logPage is how many log entries are read per round trip.
const logPage = 1000

// recount replays the whole ballot log of p.
func (s *server) recount(ctx context.Context, p *vote.Poll) (*vote.Recount, error) {
	rc := vote.NewRecount(p)
	for after := ""; ; {
		page, err := s.store.Log(ctx, p, after, logPage)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return rc, nil
		}
		for _, e := range page {
			rc.Add(e)
		}
		after = page[len(page)-1].ID
	}
}

func countOf(s vote.Snapshot) vote.Count {
	return vote.Count{Ballots: s.Ballots, Held: s.Held, Void: s.Void, Tally: s.Tally}
}

// differences lists where the log's count and the counters disagree.
func differences(log, counters vote.Count) []string {
	out := []string{}
	if log.Ballots != counters.Ballots {
		out = append(out, fmt.Sprintf("ballots: log %d, counters %d", log.Ballots, counters.Ballots))
	}
	if log.Held != counters.Held {
		out = append(out, fmt.Sprintf("held: log %d, counters %d", log.Held, counters.Held))
	}
	if log.Void != counters.Void {
		out = append(out, fmt.Sprintf("void: log %d, counters %d", log.Void, counters.Void))
	}
	for _, c := range slices.Sorted(maps.Keys(counters.Tally)) {
		if log.Tally[c] != counters.Tally[c] {
			out = append(out, fmt.Sprintf("tally[%s]: log %d, counters %d", c, log.Tally[c], counters.Tally[c]))
		}
	}
	return out
}

// between reports whether every count of mid lies between lo and hi (ballots flowing in while the
// log was read).
func between(lo, mid, hi vote.Count) bool {
	in := func(a, b, c int64) bool { return min(a, c) <= b && b <= max(a, c) }
	if !in(lo.Ballots, mid.Ballots, hi.Ballots) || !in(lo.Held, mid.Held, hi.Held) || !in(lo.Void, mid.Void, hi.Void) {
		return false
	}
	for c := range hi.Tally {
		if !in(lo.Tally[c], mid.Tally[c], hi.Tally[c]) {
			return false
		}
	}
	return true
}

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
			if rc, err = s.recount(ctx, p); err != nil {
				return err
			}
			if after, err = s.store.Snapshot(ctx, p, s.now()); err != nil {
				return err
			}
			if settled = len(differences(countOf(before), countOf(after))) == 0; settled {
				break
			}
		}
		diffs := differences(rc.Count, countOf(after))
		consistent := rc.DuplicateVoters == 0 && rc.Unmatched == 0 &&
			(settled && len(diffs) == 0 || !settled && between(countOf(before), rc.Count, countOf(after)))
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
			"counters":    countOf(after),
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
