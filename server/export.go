package server

import (
	"bufio"
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
)

// handleExport answers the final tally and the whole ballot log as JSON or CSV (?format=).
// Nothing in it is an IP address or a raw voter id: voters appear as the keyed hash the store
// keeps. The log's part, what `livevote verify` checks offline, is the log's (logweb.Export);
// this handler reads the tally so that it matches the exported log: counters before and after
// reading the log to its end are compared, up to three times ("settled": true when they matched;
// a poll that takes ballots all the while may export an unsettled tally). The log is streamed
// page by page; a store failure after the first page ends the stream early (a JSON export is then
// not valid JSON; a CSV export ends with an "error" record).
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
			if head, err = s.tlog.Sync(ctx, p); err != nil {
				return err
			}
			if snap, err = s.store.Snapshot(ctx, p, s.now()); err != nil {
				return err
			}
			if settled = len(vote.Differences(before.Count(), snap.Count())) == 0; settled {
				break
			}
		}
		x, err := s.tlog.Export(ctx, p, head)
		if err != nil {
			return err
		}
		name := p.ID + "-" + snap.At.UTC().Format("20060102T150405Z") + "." + format
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		ended := func(err error) {
			if err != nil {
				s.log.Warn("export ended early", "poll", p.ID, "err", err)
			}
		}
		if format == "csv" {
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
			at := snap.At.UTC().Format(time.RFC3339Nano)
			tally := make([][]string, 0, len(p.Candidates))
			for _, cand := range p.Candidates {
				tally = append(tally, []string{"tally", "", "", at, "", "", "", "", cand.ID, strconv.FormatInt(snap.Tally[cand.ID], 10)})
			}
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { ended(x.WriteCSV(w, tally)) })
			return nil
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		top := map[string]any{
			"poll": p.ID, "exported_at": snap.At.UTC().Format(time.RFC3339Nano), "status": snap.State.Status,
			"results": snap.State.Results, "ballots": snap.Ballots, "held": snap.Held, "tally": snap.Tally,
			"settled": settled,
		}
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { ended(x.WriteJSON(w, top)) })
		return nil
	}
}
