package server

import (
	"encoding/base64"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// maxLogLimit is the most leaves one GET .../log answers.
const maxLogLimit = 1000

// handleLogKey answers the note verifier key of the checkpoints (text/plain).
func (s *server) handleLogKey() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.SendString(s.seq.VerifierKey() + "\n")
	}
}

// handleCheckpoint answers the poll's latest signed checkpoint (text/plain, a C2SP
// tlog-checkpoint in a signed note).
func (s *server) handleCheckpoint() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		_, signed := s.seq.Checkpoint(p)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(signed)
	}
}

// handleConsistency answers the RFC 6962 consistency proof between the poll's trees of sizes from
// and to (to: the latest checkpoint's size when absent): {"from","to","hashes":[base64...]}.
func (s *server) handleConsistency() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		cp, _ := s.seq.Checkpoint(p)
		from, err := queryIndex(c, "from", 0)
		if err != nil {
			return err
		}
		to, err := queryIndex(c, "to", cp.Size)
		if err != nil {
			return err
		}
		if from < 1 || from > to || to > cp.Size {
			return fmt.Errorf("%w: want 1 <= from <= to <= %d (the latest checkpoint's size)", errInvalidRequest, cp.Size)
		}
		hashes, err := s.seq.Consistency(p, from, to)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"poll": p.ID, "from": from, "to": to, "hashes": hashes})
	}
}

// handleLog answers up to limit leaves of the poll's log from index after on (after=N skips the
// first N), none beyond the latest checkpoint: {"poll","after","tree_size","checkpoint",
// "leaves":[base64...]}. It is public once the results are revealed; before that only organiser
// and auditor tokens may read it.
func (s *server) handleLog() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		st, err := s.store.State(c.UserContext(), p)
		if err != nil {
			return err
		}
		if st.Results != vote.ResultsRevealed {
			if err := authorise(s.role(c), rightRead); err != nil {
				return err
			}
		}
		after, err := queryIndex(c, "after", 0)
		if err != nil {
			return err
		}
		limit, err := queryIndex(c, "limit", maxLogLimit)
		if err != nil {
			return err
		}
		cp, signed := s.seq.Checkpoint(p)
		leaves := make([]string, 0, min(min(limit, maxLogLimit), max(cp.Size-after, 0)))
		err = s.seq.Entries(c.UserContext(), p, after, min(min(limit, maxLogLimit), cp.Size-after),
			func(_ int64, _ vote.LogEntry, leaf []byte) error {
				leaves = append(leaves, base64.StdEncoding.EncodeToString(leaf))
				return nil
			})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"poll": p.ID, "after": after, "tree_size": cp.Size, "checkpoint": string(signed), "leaves": leaves})
	}
}
