package server

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
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
		p := pollOf(c)
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
		p := pollOf(c)
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
			return badQuery{"from", fmt.Sprintf("want 1 <= from <= to <= %d (the latest checkpoint's size)", cp.Size)}
		}
		hashes, err := s.seq.Consistency(p, from, to)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"poll": p.ID, "from": from, "to": to, "hashes": hashes})
	}
}

// opened reports whether p's log is open: its sealed tree, salt and public leaves are public
// (translog.Opens says when, from the log itself: the "statement" entry, once the stage has shown
// the whole result). Every answer of the
// log that differs before and after the opening asks here.
func (s *server) opened(p *vote.Poll) bool { return s.seq.Opened(p) }

// handleLog answers up to limit public leaves of the poll's log from index after on (after=N
// skips the first N), none beyond the latest checkpoint: {"poll","after","tree_size",
// "checkpoint","leaves":[base64...]}. It is public once the log is open; before that only
// organiser and auditor tokens may read it (the ballots' leaves carry their choices).
func (s *server) handleLog() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		if !s.opened(p) {
			if err := access.Authorise(access.RoleOf(c), access.RightRead); err != nil {
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
		n := min(min(limit, maxLogLimit), max(cp.Size-after, 0))
		leaves := make([]string, 0, n)
		err = s.seq.PublicLeaves(c.UserContext(), p, after, n, func(_ int64, leaf []byte) error {
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

// handleSealed answers up to limit leaves of the poll's sealed tree from index after on, none
// beyond the sealed size of the latest checkpoint, with the salt that the public tree's seals
// were made with: {"poll","after","sealed_size","tree_size","salt","leaves":[base64...]}. Public
// once the log is open; before that only organiser and auditor tokens may read it.
func (s *server) handleSealed() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		if !s.opened(p) {
			if err := access.Authorise(access.RoleOf(c), access.RightRead); err != nil {
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
		head := s.seq.Head(p)
		n := min(min(limit, maxLogLimit), max(head.Sealed-after, 0))
		leaves := make([]string, 0, n)
		err = s.seq.Entries(c.UserContext(), p, after, n, func(_ int64, _ vote.LogEntry, leaf []byte) error {
			leaves = append(leaves, base64.StdEncoding.EncodeToString(leaf))
			return nil
		})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"poll": p.ID, "after": after, "sealed_size": head.Sealed, "tree_size": head.Size,
			"salt": hex.EncodeToString(s.seq.Salt(p)), "leaves": leaves})
	}
}
