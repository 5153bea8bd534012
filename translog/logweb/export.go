package logweb

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
)

// flushEvery is how many exported entries are written between two flushes of the stream.
const flushEvery = 1000

// Sync reads p's log to its end (translog.Sequencer.Sync), for an export that compares the
// counters before and after reading it.
func (l *Log) Sync(ctx context.Context, p *vote.Poll) (translog.Head, error) {
	return l.seq.Sync(ctx, p)
}

// Export is the log's part of the organiser's export (GET /api/v1/admin/polls/{poll}/export) at
// one head of p's log: what `livevote verify` checks offline (translog.VerifyExport).
type Export struct {
	seq    *translog.Sequencer
	ctx    context.Context
	p      *vote.Poll
	head   translog.Head
	signed []byte
}

// Export returns the export of p's log at head (from Sync), whose entries it reads with ctx.
func (l *Log) Export(ctx context.Context, p *vote.Poll, head translog.Head) (*Export, error) {
	signed, err := l.seq.CheckpointAt(p, head.Size)
	if err != nil {
		return nil, err
	}
	return &Export{seq: l.seq, ctx: ctx, p: p, head: head, signed: signed}, nil
}

// entries reads the exported log entries, each with its sealed leaf bytes, in log order.
func (x *Export) entries(yield func(e vote.LogEntry, leaf []byte) error) error {
	return x.seq.Entries(x.ctx, x.p, 0, x.head.Sealed, func(_ int64, e vote.LogEntry, leaf []byte) error { return yield(e, leaf) })
}

// public reads the public tree's leaves as entries without an entry, in tree order.
func (x *Export) public(yield func(e vote.LogEntry, leaf []byte) error) error {
	return x.seq.PublicLeaves(x.ctx, x.p, 0, x.head.Size, func(_ int64, leaf []byte) error { return yield(vote.LogEntry{}, leaf) })
}

// WriteJSON writes the JSON export: one object of top's fields and the log's ("tree_size" and
// "checkpoint", the signed checkpoint as exported; "sealed_size", "void" and "salt", the sealed
// tree's), then "log" (the entries), "sealed_leaves" (their sealed leaves, base64), each in one
// pass over the log, and "leaves" (the public tree's leaves, base64). It flushes w every
// flushEvery entries; a read error ends the stream where it is (not valid JSON then), flushed,
// and is returned.
func (x *Export) WriteJSON(w *bufio.Writer, top map[string]any) error {
	top["tree_size"], top["checkpoint"] = x.head.Size, string(x.signed)
	top["sealed_size"], top["void"], top["salt"] = x.head.Sealed, x.head.Void, hex.EncodeToString(x.seq.Salt(x.p))
	b, _ := json.Marshal(top)
	w.Write(b[:len(b)-1])
	leaf64 := func(leaf []byte) {
		w.WriteByte('"')
		w.WriteString(base64.StdEncoding.EncodeToString(leaf))
		w.WriteByte('"')
	}
	for _, part := range []struct {
		name  string
		read  func(yield func(e vote.LogEntry, leaf []byte) error) error
		write func(e vote.LogEntry, leaf []byte)
	}{
		{"log", x.entries, func(e vote.LogEntry, _ []byte) {
			b, _ := json.Marshal(e)
			w.Write(b)
		}},
		{"sealed_leaves", x.entries, func(_ vote.LogEntry, leaf []byte) { leaf64(leaf) }},
		{"leaves", x.public, func(_ vote.LogEntry, leaf []byte) { leaf64(leaf) }},
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
			if n%flushEvery == 0 {
				return w.Flush()
			}
			return nil
		})
		if err != nil {
			w.Flush()
			return err
		}
		w.WriteString("]")
	}
	w.WriteString("}\n")
	return w.Flush()
}

// WriteCSV writes the CSV export: a header record ("record", "id", "receipt", "at", "voter",
// "period", "choices", "state", "candidate", "count"), the records first (the caller's, in these
// columns), then one record per log entry: "ballot", "review" and "admin" (an admin record gives
// the action in state, its value in choices and the role in candidate). It flushes w every
// flushEvery entries and at the end; a read or write error ends the records with an "error"
// record and is returned.
func (x *Export) WriteCSV(w *bufio.Writer, first [][]string) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"record", "id", "receipt", "at", "voter", "period", "choices", "state", "candidate", "count"})
	for _, r := range first {
		cw.Write(r)
	}
	n := 0
	err := x.entries(func(e vote.LogEntry, _ []byte) error {
		at := e.At.UTC().Format(time.RFC3339Nano)
		switch e.State {
		case vote.LogAdmin:
			cw.Write([]string{"admin", e.ID, "", at, "", "", e.Value, e.Action, e.Role, ""})
		case vote.BallotReleased, vote.BallotVoid:
			cw.Write([]string{"review", e.ID, e.Receipt, at, "", "", "", string(e.State), "", ""})
		default:
			cw.Write([]string{"ballot", e.ID, e.Receipt, at, e.Voter, e.Period, strings.Join(e.Choices, " "), string(e.State), "", ""})
		}
		if n++; n%flushEvery != 0 {
			return nil
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		cw.Write([]string{"error", "", "", "", "", "", "", "", "", "export ended early: " + err.Error()})
	}
	cw.Flush()
	w.Flush()
	return err
}
