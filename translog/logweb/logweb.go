// Package logweb serves the transparency log of package translog over HTTP, as docs/API.md
// describes it ("The transparency log"): the checkpoints' verifier key, a poll's latest signed
// checkpoint, consistency proofs, the public and the sealed leaves, a receipt's inclusion proof
// (and, once the log is open, its opening), and the log's part of the organiser's export
// (export.go). As golang.org/x/mod/sumdb's server owns the checksum database's protocol, this
// package owns the log's: its handlers answer from a translog.Sequencer and ask their owner only
// what the log cannot know (Config): which poll a request is about, whether the request may read
// a log that is not open yet, where a receipt is.
//
// The handlers are Fiber handlers that return their errors: the server maps them to statuses and
// codes in one place (server/errors.go), this package's ErrInvalidQuery among them. It imports
// the domain (vote) and the log (translog) of the module, never the server.
package logweb

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
)

// maxLeaves is the most leaves one GET .../log or .../sealed answers.
const maxLeaves = 1000

// ErrInvalidQuery is wrapped by the error of a query parameter that is not valid; the wrapping
// error's text names the parameter and says what it must be (never quoting the value).
var ErrInvalidQuery = errors.New("a query parameter is not valid")

// Config is what the log's handlers ask their owner.
type Config struct {
	// Log is the sequencer the handlers answer from; its owner runs it (Sequencer.Run).
	Log *translog.Sequencer
	// PollOf returns the request's poll, as the owner's middleware found it before the handler
	// of a route with a poll.
	PollOf func(c *fiber.Ctx) *vote.Poll
	// MayRead returns nil when the request may read a poll's leaves (public and sealed) while its
	// log is not open, else the error to answer with.
	MayRead func(c *fiber.Ctx) error
	// Receipt returns the receipt id and its poll, whichever poll it is in, or an error wrapping
	// vote.ErrReceiptNotFound.
	Receipt func(ctx context.Context, id string) (vote.Receipt, *vote.Poll, error)
}

// Log is the HTTP protocol of the transparency log. Its handlers may be called concurrently.
type Log struct {
	cfg Config
	seq *translog.Sequencer
}

// New returns the log's HTTP protocol over cfg, every field of which is required.
func New(cfg Config) (*Log, error) {
	if cfg.Log == nil || cfg.PollOf == nil || cfg.MayRead == nil || cfg.Receipt == nil {
		return nil, errors.New("logweb: Log, PollOf, MayRead and Receipt are required")
	}
	return &Log{cfg: cfg, seq: cfg.Log}, nil
}

// Opened reports whether p's log is open: its sealed tree, salt and public leaves are public
// (translog.Opens says when, from the log itself: the "statement" entry, once the stage has shown
// the whole result). Every answer about the log that differs before and after the opening asks
// here.
func (l *Log) Opened(p *vote.Poll) bool { return l.seq.Opened(p) }

// Key answers the note verifier key of the checkpoints (text/plain).
func (l *Log) Key() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.SendString(l.seq.VerifierKey() + "\n")
	}
}

// Checkpoint answers the poll's latest signed checkpoint (text/plain, a C2SP tlog-checkpoint in a
// signed note).
func (l *Log) Checkpoint() fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, signed := l.seq.Checkpoint(l.cfg.PollOf(c))
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(signed)
	}
}

// Consistency answers the RFC 6962 consistency proof between the poll's trees of sizes from and
// to (to: the latest checkpoint's size when absent): {"poll","from","to","hashes":[base64...]}.
func (l *Log) Consistency() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := l.cfg.PollOf(c)
		cp, _ := l.seq.Checkpoint(p)
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
		hashes, err := l.seq.Consistency(p, from, to)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"poll": p.ID, "from": from, "to": to, "hashes": hashes})
	}
}

// Leaves answers up to limit public leaves of the poll's log from index after on (after=N skips
// the first N), none beyond the latest checkpoint: {"poll","after","tree_size","checkpoint",
// "leaves":[base64...]}. It is public once the log is open; before that only requests that
// Config.MayRead lets in (the ballots' leaves carry their choices).
func (l *Log) Leaves() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := l.cfg.PollOf(c)
		after, limit, err := l.page(c, p)
		if err != nil {
			return err
		}
		cp, signed := l.seq.Checkpoint(p)
		n := min(limit, max(cp.Size-after, 0))
		leaves := make([]string, 0, n)
		err = l.seq.PublicLeaves(c.UserContext(), p, after, n, func(_ int64, leaf []byte) error {
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

// Sealed answers up to limit leaves of the poll's sealed tree from index after on, none beyond
// the sealed size of the latest checkpoint, with the salt that the public tree's seals were made
// with: {"poll","after","sealed_size","tree_size","salt","leaves":[base64...]}. Public once the
// log is open; before that only requests that Config.MayRead lets in.
func (l *Log) Sealed() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := l.cfg.PollOf(c)
		after, limit, err := l.page(c, p)
		if err != nil {
			return err
		}
		head := l.seq.Head(p)
		n := min(limit, max(head.Sealed-after, 0))
		leaves := make([]string, 0, n)
		err = l.seq.Entries(c.UserContext(), p, after, n, func(_ int64, _ vote.LogEntry, leaf []byte) error {
			leaves = append(leaves, base64.StdEncoding.EncodeToString(leaf))
			return nil
		})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"poll": p.ID, "after": after, "sealed_size": head.Sealed, "tree_size": head.Size,
			"salt": hex.EncodeToString(l.seq.Salt(p)), "leaves": leaves})
	}
}

// page checks that the request may read p's leaves, then reads the page it asks for: the leaves
// after the first after, at most limit of them (at most maxLeaves).
func (l *Log) page(c *fiber.Ctx, p *vote.Poll) (after, limit int64, err error) {
	if !l.Opened(p) {
		if err := l.cfg.MayRead(c); err != nil {
			return 0, 0, err
		}
	}
	if after, err = queryIndex(c, "after", 0); err != nil {
		return 0, 0, err
	}
	limit, err = queryIndex(c, "limit", maxLeaves)
	return after, min(limit, maxLeaves), err
}

// Proof answers the inclusion proof of a receipt's ballot in its poll's latest checkpoint
// (translog.Inclusion); once the poll's log is open, with "opening" (translog.Opening: the
// ballot's sealed entry and its reviews, proven against the seal the checkpoint's tree holds);
// 202 {"status":"pending"} while the ballot is recorded but not yet in a checkpoint (an instance
// reads new log entries every LogEvery); the error of Config.Receipt for an unknown receipt.
func (l *Log) Proof() fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, p, err := l.cfg.Receipt(c.UserContext(), c.Params("receipt"))
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		inc, err := l.seq.Prove(p, r)
		if errors.Is(err, translog.ErrNotInCheckpoint) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "pending"})
		}
		if err != nil {
			return err
		}
		if !l.Opened(p) {
			return c.JSON(inc)
		}
		o, err := l.seq.ProveOpening(c.UserContext(), p, r, inc)
		if errors.Is(err, translog.ErrNotInCheckpoint) {
			return c.JSON(inc) // opened, but this ballot's entry not yet under a seal
		}
		if err != nil {
			return err
		}
		return c.JSON(struct {
			translog.Inclusion
			Opening translog.Opening `json:"opening"`
		}{inc, o})
	}
}

// badQuery is the error of one query parameter: its text names the parameter and says what it
// must be.
type badQuery struct{ name, want string }

func (e badQuery) Error() string { return "query parameter " + e.name + ": " + e.want }
func (e badQuery) Unwrap() error { return ErrInvalidQuery }

// queryIndex returns the query parameter name as a position or size in a log (a decimal integer
// of at least 0), def when it is absent or empty; anything else (given twice too) is a badQuery.
func queryIndex(c *fiber.Ctx, name string, def int64) (int64, error) {
	values := c.Context().QueryArgs().PeekMulti(name)
	switch {
	case len(values) > 1:
		return 0, badQuery{name, "given more than once"}
	case len(values) == 0 || len(values[0]) == 0:
		return def, nil
	}
	v := string(values[0])
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || v[0] == '+' {
		return 0, badQuery{name, "must be a whole number of at least 0"}
	}
	return n, nil
}
