package server

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/livevote/livevote/server/wire"
	"github.com/livevote/livevote/vote"
)

// heldView is a held ballot as organisers review it: with the keyed hashes of its source (its
// subnet's, its address's and its group's, never an address) and the signals it was held with,
// while held.
type heldView struct {
	Receipt    string           `json:"receipt"`
	RecordedAt time.Time        `json:"recorded_at"`
	Choices    []string         `json:"choices"`
	State      vote.BallotState `json:"state"`
	Source     string           `json:"source,omitempty"`
	IP         string           `json:"ip,omitempty"`
	Group      string           `json:"group,omitempty"`
	Signals    []vote.Signal    `json:"signals,omitempty"`
}

func viewHeld(r vote.Receipt) heldView {
	return heldView{Receipt: r.ID, RecordedAt: r.RecordedAt, Choices: r.Choices, State: r.State}
}

func viewHeldBallot(b vote.HeldBallot) heldView {
	v := viewHeld(b.Receipt)
	v.Source, v.IP, v.Group, v.Signals = b.Subnet, b.IP, b.Group, b.Signals
	return v
}

// handleHeld lists ballots awaiting review, oldest first (?limit=, default 100, at most 1000).
func (s *server) handleHeld() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		limit, err := queryInt(c, "limit", 100, 1, 1000)
		if err != nil {
			return err
		}
		held, err := s.store.Held(c.UserContext(), p, limit)
		if err != nil {
			return err
		}
		snap, err := s.store.Snapshot(c.UserContext(), p, s.now())
		if err != nil {
			return err
		}
		out := make([]heldView, 0, len(held))
		for _, r := range held {
			out = append(out, viewHeldBallot(r))
		}
		return c.JSON(fiber.Map{"poll": p.ID, "count": snap.Held, "held": out})
	}
}

// maxBulkReview is the most receipts one bulk review takes (as many as GET .../held lists).
const maxBulkReview = 1000

// handleBulkReview releases or voids the held ballots listed, each in its own atomic step as
// handleReview does: {"action":"release"|"void","receipts":[...]} (1 to maxBulkReview). A receipt
// that is not awaiting review (settled already, perhaps from another console, or listed twice) or
// unknown is reported, not an error. When the store fails part way, the answer is the store's
// error and the ballots settled before stay settled: sending the same request again settles the
// rest.
func (s *server) handleBulkReview() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		var body struct {
			Action   string   `json:"action"`
			Receipts []string `json:"receipts"`
		}
		if err := wire.DecodeStrict(c.Body(), &body); err != nil {
			return err
		}
		if !reviewAction(body.Action) || len(body.Receipts) == 0 || len(body.Receipts) > maxBulkReview {
			return errInvalidRequest
		}
		reviewed, notHeld, notFound := []heldView{}, []string{}, []string{}
		for _, id := range body.Receipts {
			r, err := s.store.Review(c.UserContext(), p, id, body.Action == "release", s.now())
			switch {
			case errors.Is(err, vote.ErrNotHeld):
				notHeld = append(notHeld, id)
			case errors.Is(err, vote.ErrReceiptNotFound):
				notFound = append(notFound, id)
			case err != nil:
				s.log.Warn("bulk review stopped", "poll", p.ID, "reviewed", len(reviewed), "err", err)
				return err
			default:
				reviewed = append(reviewed, viewHeld(r))
			}
		}
		s.log.Info("held ballots reviewed", "poll", p.ID, "action", body.Action, "reviewed", len(reviewed))
		if len(reviewed) > 0 {
			if err := s.corrected(c, p); err != nil {
				return err
			}
		}
		return c.JSON(fiber.Map{"poll": p.ID, "action": body.Action, "reviewed": reviewed,
			"not_held": notHeld, "not_found": notFound})
	}
}

// reviewAction reports whether a is an action of a review: "release" or "void".
func reviewAction(a string) bool { return a == "release" || a == "void" }

// handleReview releases (counts) or voids a held ballot.
func (s *server) handleReview() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		var body struct {
			Action string `json:"action"`
		}
		if err := wire.DecodeStrict(c.Body(), &body); err != nil {
			return err
		}
		if !reviewAction(body.Action) {
			return errInvalidRequest
		}
		receipt := utils.CopyString(c.Params("receipt")) // the store may keep it
		r, err := s.store.Review(c.UserContext(), p, receipt, body.Action == "release", s.now())
		if err != nil {
			return err
		}
		s.log.Info("held ballot reviewed", "poll", p.ID, "state", r.State)
		if err := s.corrected(c, p); err != nil {
			return err
		}
		return c.JSON(viewHeld(r))
	}
}
