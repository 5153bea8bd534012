package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/server/wire"
	"github.com/livevote/livevote/vote"
)

// The reveal (docs/API.md, "The reveal"): revealing results that were hidden starts a staged
// reveal with every place withheld (vote.State.Withheld); the presenter shows the places one by
// one from the last (POST .../reveal), and the public sees only what the stage has shown
// (vote.Snapshot.PublicTally). Once the last place is shown, the result is a statement in the log.

// handleSetResults sets the results' visibility. Revealing results that were hidden starts the
// staged reveal with every place withheld; from live, everything stays shown. Revealing while
// ballots are held or pending needs "confirm": true, else errUnreviewed (nothing logged or
// changed).
func (s *server) handleSetResults() fiber.Handler {
	type body struct {
		Results vote.Visibility `json:"results"`
		Confirm bool            `json:"confirm"`
	}
	return adminChange(s, "results", func(c *fiber.Ctx, p *vote.Poll, b body) (string, error) {
		if !b.Results.Valid() {
			return "", errInvalidRequest
		}
		if b.Results != vote.ResultsRevealed || b.Confirm {
			return string(b.Results), nil
		}
		snap, err := s.store.Snapshot(c.UserContext(), p, s.now())
		if err != nil {
			return "", err
		}
		if snap.State.Results != vote.ResultsRevealed && (snap.Held > 0 || snap.Pending > 0) {
			return "", errUnreviewed
		}
		return string(b.Results), nil
	}, func(c *fiber.Ctx, p *vote.Poll, b body) (vote.State, error) {
		ctx := c.UserContext()
		if b.Results != vote.ResultsRevealed {
			return s.store.SetResults(ctx, p, b.Results)
		}
		snap, err := s.store.Snapshot(ctx, p, s.now())
		if err != nil {
			return vote.State{}, err
		}
		if snap.State.Results == vote.ResultsRevealed {
			return snap.State, nil
		}
		withheld := 0
		if snap.State.Results == vote.ResultsHidden {
			withheld = p.Staged(snap.Tally)
		}
		// Withheld first: while the results are hidden it shows nothing, so no moment shows
		// more than the stage. A new reveal has no correction yet.
		if _, err := s.store.SetWithheld(ctx, p, withheld, 0, s.now().UnixMilli()); err != nil {
			return vote.State{}, err
		}
		if _, err := s.store.SetCorrected(ctx, p, 0); err != nil {
			return vote.State{}, err
		}
		st, err := s.store.SetResults(ctx, p, vote.ResultsRevealed)
		if err != nil {
			return vote.State{}, err
		}
		if withheld == 0 {
			snap.State = st
			return st, s.logStatement(c, p, snap)
		}
		return st, nil
	})
}

// handleReveal moves the staged reveal to the step the presenter asks for: {"withheld": N}, the
// places (from the first down) still to be withheld, 0 to show everything; N one less than now
// shows the next place, one more takes the last shown back. It answers what the stage now shows,
// as GET .../results answers the public once vote.StepGrace has passed (a step back at once). errNotRevealed while the results
// are not revealed; errInvalidRequest for an N below 0 or above the number of places.
func (s *server) handleReveal() fiber.Handler {
	type body struct {
		Withheld *int `json:"withheld"`
	}
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		var b body
		if err := wire.DecodeStrict(c.Body(), &b); err != nil {
			return err
		}
		ctx := c.UserContext()
		snap, err := s.store.Snapshot(ctx, p, s.now())
		if err != nil {
			return err
		}
		if snap.State.Results != vote.ResultsRevealed {
			return errNotRevealed
		}
		if b.Withheld == nil || *b.Withheld < 0 || *b.Withheld > len(vote.Places(snap.Tally)) {
			return errInvalidRequest
		}
		n := *b.Withheld
		if n != max(0, snap.State.Withheld) {
			if err := s.logAction(c, p, "reveal", jsonInt(n)); err != nil {
				return err
			}
			was := snap.State
			if snap.State, err = s.store.SetWithheld(ctx, p, n, max(0, was.Withheld), s.now().UnixMilli()); err != nil {
				return err
			}
			s.states.put(p, snap.State)
			if n == 0 && was.Withheld > 0 {
				if err := s.logStatement(c, p, snap); err != nil {
					return err
				}
			}
		}
		snap.State.Status = p.Effective(snap.State.Status, snap.At)
		snap.State.Before = 0 // the presenter sees the step now; the public StepGrace later
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(publicResults(p, snap))
	}
}

// publicResults is GET .../results as the public gets it.
func publicResults(p *vote.Poll, snap vote.Snapshot) fiber.Map {
	out := fiber.Map{
		"poll": p.ID, "status": snap.State.Status, "results": snap.State.Results,
		"ballots": snap.Received(), "updated_at": snap.At.UTC().Format(time.RFC3339Nano),
	}
	if pub := snap.PublicTally(); pub != nil {
		out["tally"] = pub
	}
	if snap.State.Results == vote.ResultsRevealed {
		out["withheld"] = snap.PublicWithheld()
		if at := vote.CorrectedAt(snap.State); at != "" {
			out["corrected_at"] = at
		}
	}
	return out
}

// corrected is called after held ballots of p were reviewed: when the result was a statement
// already, the change is a correction, for everyone to see (State.Corrected) and in the log (a
// "correction" entry with the new result).
func (s *server) corrected(c *fiber.Ctx, p *vote.Poll) error {
	return s.markCorrected(c.UserContext(), p, access.RoleOf(c).String())
}

// markCorrected is corrected for a change by role (an organiser's review, or the "system"'s
// automatic release).
func (s *server) markCorrected(ctx context.Context, p *vote.Poll, role string) error {
	snap, err := s.store.Snapshot(ctx, p, s.now())
	if err != nil || !snap.State.Final() {
		return err
	}
	if err := s.store.LogAction(ctx, p, vote.AdminAction{Action: "correction", Value: snap.Statement(), Role: role, At: s.now()}); err != nil {
		return err
	}
	st, err := s.store.SetCorrected(ctx, p, s.now().UnixMilli())
	if err != nil {
		return err
	}
	s.states.put(p, st)
	return nil
}

// logStatement appends to p's log what the stage has just revealed in full (snap): the result is
// a statement from then on.
func (s *server) logStatement(c *fiber.Ctx, p *vote.Poll, snap vote.Snapshot) error {
	return s.logAction(c, p, "statement", snap.Statement())
}

// handleChecklist answers what the organiser checks before the reveal: ballots received,
// counted, held (pending among them), void, when the audit last ran since the close and what it
// found (absent: not run), how many candidates are tied for first place (0: no tie)
// and, for those who may read the hidden tally, which; the ballot file's tie-break when it gives
// one (docs/API.md).
func (s *server) handleChecklist() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		snap, err := s.store.Snapshot(c.UserContext(), p, s.now())
		if err != nil {
			return err
		}
		first := []string{}
		if places := vote.Places(snap.Tally); len(places) > 0 && snap.Ballots > 0 {
			if top := places[len(places)-1]; len(top) > 1 {
				first = top
			}
		}
		out := fiber.Map{
			"poll": p.ID, "status": snap.State.Status, "results": snap.State.Results,
			"received": snap.Received(), "counted": snap.Ballots, "held": snap.Held, "void": snap.Void, "pending": snap.Pending,
			"tied_first": len(first), "confirm_needed": snap.Held > 0 || snap.Pending > 0,
		}
		if !p.TieBreak.IsZero() {
			out["tie_break"] = p.TieBreak
		}
		if st := snap.State; st.Audited != 0 && st.Status == vote.StatusClosed { // the last audit since the close
			out["audited_at"] = time.UnixMilli(st.Audited).UTC().Format(time.RFC3339)
			out["audit_consistent"] = st.AuditConsistent
		}
		if access.RoleOf(c).Can(access.RightRead) { // the operator drives the screen: no hidden tally, not even who leads
			out["tied_first_ids"] = first
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(out)
	}
}

func jsonInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
