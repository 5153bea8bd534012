package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
)

// handleExport answers the final tally and the whole ballot log as JSON or CSV (?format=).
// Nothing in it is an IP address or a raw voter id: voters appear as the keyed hash the store
// keeps. The JSON export also carries the signed checkpoint of the log as exported ("checkpoint",
// "tree_size"), the public tree's leaves ("leaves", base64), and the sealed tree: its salt, size
// and every entry's sealed leaf in log order ("salt", "sealed_size", "sealed_leaves"), so that
// `livevote verify` can check it offline (translog.VerifyExport). The tally is read so that it matches the exported log: counters before
// and after reading the log to its end are compared, up to three times ("settled": true when they
// matched; a poll that takes ballots all the while may export an unsettled tally). The log is
// streamed page by page; a store failure after the first page ends the stream early (a JSON
// export is then not valid JSON; a CSV export ends with an "error" record).
func (s *server) handleExport() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := pollOf(c)
		format, err := queryValue(c, "format", "json")
		if err != nil {
			return err
		}
		if format != "json" && format != "csv" {
			return errInvalidRequest
		}
		ctx := context.WithoutCancel(c.UserContext())
		var snap vote.Snapshot
		var head translog.Head
		settled := false
		for range 3 {
			before, err := s.store.Snapshot(ctx, p, s.now())
			if err != nil {
				return err
			}
			if head, err = s.seq.Sync(ctx, p); err != nil {
				return err
			}
			if snap, err = s.store.Snapshot(ctx, p, s.now()); err != nil {
				return err
			}
			if settled = len(differences(countOf(before), countOf(snap))) == 0; settled {
				break
			}
		}
		signed, err := s.seq.CheckpointAt(p, head.Size)
		if err != nil {
			return err
		}
		name := p.ID + "-" + snap.At.UTC().Format("20060102T150405Z") + "." + format
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		entries := func(yield func(e vote.LogEntry, leaf []byte) error) error {
			return s.seq.Entries(ctx, p, 0, head.Sealed, func(_ int64, e vote.LogEntry, leaf []byte) error { return yield(e, leaf) })
		}
		public := func(yield func(leaf []byte) error) error {
			return s.seq.PublicLeaves(ctx, p, 0, head.Size, func(_ int64, leaf []byte) error { return yield(leaf) })
		}
		if format == "csv" {
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { s.exportCSV(w, p, snap, entries) })
			return nil
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		top := map[string]any{
			"poll": p.ID, "exported_at": snap.At.UTC().Format(time.RFC3339Nano), "status": snap.State.Status,
			"results": snap.State.Results, "ballots": snap.Ballots, "held": snap.Held, "tally": snap.Tally,
			"settled": settled, "tree_size": head.Size, "checkpoint": string(signed),
			"sealed_size": head.Sealed, "void": head.Void, "salt": hex.EncodeToString(s.seq.Salt(p)),
		}
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { s.exportJSON(w, p, top, entries, public) })
		return nil
	}
}

// entryReader reads the exported log entries, each with its leaf bytes, in log order.
type entryReader func(yield func(e vote.LogEntry, leaf []byte) error) error

// exportJSON writes head, then "log" (the entries), "sealed_leaves" (their sealed leaf bytes,
// base64), each in one pass over the log, and "leaves" (the public tree's leaves, base64).
func (s *server) exportJSON(w *bufio.Writer, p *vote.Poll, head map[string]any, entries entryReader, public func(yield func(leaf []byte) error) error) {
	b, _ := json.Marshal(head)
	w.Write(b[:len(b)-1])
	leaf64 := func(leaf []byte) {
		w.WriteByte('"')
		w.WriteString(base64.StdEncoding.EncodeToString(leaf))
		w.WriteByte('"')
	}
	publicAsEntries := func(yield func(e vote.LogEntry, leaf []byte) error) error {
		return public(func(leaf []byte) error { return yield(vote.LogEntry{}, leaf) })
	}
	for _, part := range []struct {
		name  string
		read  entryReader
		write func(e vote.LogEntry, leaf []byte)
	}{
		{"log", entries, func(e vote.LogEntry, _ []byte) {
			b, _ := json.Marshal(e)
			w.Write(b)
		}},
		{"sealed_leaves", entries, func(_ vote.LogEntry, leaf []byte) { leaf64(leaf) }},
		{"leaves", publicAsEntries, func(_ vote.LogEntry, leaf []byte) { leaf64(leaf) }},
	} {
		w.WriteString(`,"` + part.name + `":[`)
		n := 0
		err := part.read(func(e vote.LogEntry, leaf []byte) error {
			if n > 0 {
				w.WriteByte(',')
			}
			n++
			part.write(e, leaf)
			w.WriteByte('\n')
			if n%logPage == 0 {
				return w.Flush()
			}
			return nil
		})
		if err != nil {
			s.log.Warn("export ended early", "poll", p.ID, "err", err)
			w.Flush()
			return
		}
		w.WriteString("]")
	}
	w.WriteString("}\n")
	w.Flush()
}

// exportCSV writes one record per row: "tally" rows (candidate, count), then "ballot", "review"
// and "admin" rows of the log (an admin row gives the action in state, its value in choices and
// the role in candidate).
func (s *server) exportCSV(w *bufio.Writer, p *vote.Poll, snap vote.Snapshot, entries entryReader) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"record", "id", "receipt", "at", "voter", "period", "choices", "state", "candidate", "count"})
	at := snap.At.UTC().Format(time.RFC3339Nano)
	for _, cand := range p.Candidates {
		cw.Write([]string{"tally", "", "", at, "", "", "", "", cand.ID, strconv.FormatInt(snap.Tally[cand.ID], 10)})
	}
	n := 0
	err := entries(func(e vote.LogEntry, _ []byte) error {
		at := e.At.UTC().Format(time.RFC3339Nano)
		switch e.State {
		case vote.LogAdmin:
			cw.Write([]string{"admin", e.ID, "", at, "", "", e.Value, e.Action, e.Role, ""})
		case vote.BallotReleased, vote.BallotVoid:
			cw.Write([]string{"review", e.ID, e.Receipt, at, "", "", "", string(e.State), "", ""})
		default:
			cw.Write([]string{"ballot", e.ID, e.Receipt, at, e.Voter, e.Period, strings.Join(e.Choices, " "), string(e.State), "", ""})
		}
		if n++; n%logPage != 0 {
			return nil
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		s.log.Warn("export ended early", "poll", p.ID, "err", err)
		cw.Write([]string{"error", "", "", "", "", "", "", "", "", "export ended early: " + err.Error()})
	}
	cw.Flush()
	w.Flush()
}
