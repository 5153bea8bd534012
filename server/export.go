package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// handleExport answers the final tally and the whole ballot log as JSON or CSV (?format=).
// Nothing in it is an IP address or a raw voter id: voters appear as the keyed hash the store
// keeps. The log is streamed page by page; a store failure after the first page ends the stream
// early (a JSON export is then not valid JSON; a CSV export ends with an "error" record).
func (s *server) handleExport() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.poll(c)
		if err != nil {
			return err
		}
		format, err := queryValue(c, "format", "json")
		if err != nil {
			return err
		}
		if format != "json" && format != "csv" {
			return errInvalidRequest
		}
		ctx := context.WithoutCancel(c.UserContext())
		snap, err := s.store.Snapshot(ctx, p, s.now())
		if err != nil {
			return err
		}
		first, err := s.store.Log(ctx, p, "", logPage)
		if err != nil {
			return err
		}
		name := p.ID + "-" + snap.At.UTC().Format("20060102T150405Z") + "." + format
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		pages := func(yield func([]vote.LogEntry) error) error {
			for page := first; len(page) > 0; {
				if err := yield(page); err != nil {
					return err
				}
				var err error
				if page, err = s.store.Log(ctx, p, page[len(page)-1].ID, logPage); err != nil {
					return err
				}
			}
			return nil
		}
		if format == "csv" {
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { s.exportCSV(w, p, snap, pages) })
			return nil
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { s.exportJSON(w, p, snap, pages) })
		return nil
	}
}

type pager func(yield func([]vote.LogEntry) error) error

func (s *server) exportJSON(w *bufio.Writer, p *vote.Poll, snap vote.Snapshot, pages pager) {
	head, _ := json.Marshal(map[string]any{
		"poll": p.ID, "exported_at": snap.At.UTC().Format(time.RFC3339Nano), "status": snap.State.Status,
		"results": snap.State.Results, "ballots": snap.Ballots, "held": snap.Held, "tally": snap.Tally,
	})
	w.Write(head[:len(head)-1])
	w.WriteString(`,"log":[`)
	n := 0
	err := pages(func(page []vote.LogEntry) error {
		for _, e := range page {
			if n > 0 {
				w.WriteByte(',')
			}
			n++
			b, _ := json.Marshal(e)
			w.Write(b)
			w.WriteByte('\n')
		}
		return w.Flush()
	})
	if err != nil {
		s.log.Warn("export ended early", "poll", p.ID, "err", err)
		return
	}
	w.WriteString("]}\n")
	w.Flush()
}

// exportCSV writes one record per row: "tally" rows (candidate, count), then "ballot" and
// "review" rows of the log.
func (s *server) exportCSV(w *bufio.Writer, p *vote.Poll, snap vote.Snapshot, pages pager) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"record", "id", "receipt", "at", "voter", "period", "choices", "state", "candidate", "count"})
	at := snap.At.UTC().Format(time.RFC3339Nano)
	for _, cand := range p.Candidates {
		cw.Write([]string{"tally", "", "", at, "", "", "", "", cand.ID, strconv.FormatInt(snap.Tally[cand.ID], 10)})
	}
	err := pages(func(page []vote.LogEntry) error {
		for _, e := range page {
			kind := "ballot"
			if e.State == vote.BallotReleased || e.State == vote.BallotVoid {
				kind = "review"
			}
			cw.Write([]string{kind, e.ID, e.Receipt, e.At.UTC().Format(time.RFC3339Nano), e.Voter, e.Period,
				strings.Join(e.Choices, " "), string(e.State), "", ""})
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
