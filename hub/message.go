package hub

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/livevote/livevote/vote"
)

// A snapshot message on the wire (docs/API.md, "Live updates") is
//
//	{"type":"snapshot","seq":N,"poll":..,"status":..,"results":..,"ballots":N,"rate":R,
//	 "withheld":N,"corrected_at":"...","tally":{..},"held":N,"fraud":{"results":{..},"signals":{..}},"at":"2006-01-02T15:04:05.000Z"}
//
// (withheld and corrected_at only while the results are revealed: the places the stage has not
// shown yet, when the revealed result was last corrected; held
// and fraud, the poll's fraud counters, for organisers only). The public tally is
// vote.Snapshot.PublicTally: while revealed, only the places the stage has shown.
//
// seq is per connection and everything else is per audience, so a message is encoded once per
// audience and its tail (everything after the digits of seq) is shared by every connection: a
// connection's writer appends msgPrefix, its seq and the tail into its own buffer.
const (
	msgPrefix = `{"type":"snapshot","seq":`
	atLayout  = "2006-01-02T15:04:05.000Z07:00" // RFC 3339 with milliseconds; "Z" in UTC
)

// message is one encoded snapshot for one audience. It is immutable once built and shared by
// every connection it is offered to.
type message struct {
	// content is the JSON object of the fields that make the content (all but type, seq and at):
	// two messages with equal content show the same thing.
	content []byte
	// tail is what follows seq: `,"poll":...,"at":"..."}`.
	tail []byte
	// readAt is when the snapshot was read (by the hub's clock): which read this message shows.
	readAt time.Time
}

// body is the content of a message. encoding/json writes the fields in this order and the tally
// with its keys sorted, so equal content encodes to equal bytes.
type body struct {
	Poll      string            `json:"poll"`
	Status    vote.Status       `json:"status"`
	Results   vote.Visibility   `json:"results"`
	Ballots   int64             `json:"ballots"`
	Rate      float64           `json:"rate"`
	Withheld  *int              `json:"withheld,omitempty"`
	Corrected string            `json:"corrected_at,omitempty"`
	Tally     *map[string]int64 `json:"tally,omitempty"`
	Held      *int64            `json:"held,omitempty"`
	Fraud     *vote.FraudCounts `json:"fraud,omitempty"`
}

// encode builds the message of snapshot s, read at readAt, for the audience a.
func encode(s vote.Snapshot, a Audience, readAt time.Time) (*message, error) {
	b := body{
		Poll:    s.Poll,
		Status:  s.State.Status,
		Results: s.State.Results,
		Ballots: s.Received(), // held included: the public count is no oracle (vote.Snapshot.Received)
		Rate:    round1(s.Rate),
	}
	tally := s.Tally
	if tally == nil {
		tally = map[string]int64{}
	}
	if a == Organiser {
		b.Tally, b.Held = &tally, &s.Held
		b.Fraud = &s.Fraud
		if b.Fraud.Results == nil || b.Fraud.Signals == nil {
			b.Fraud = &vote.FraudCounts{Results: orEmpty(s.Fraud.Results), Signals: orEmpty(s.Fraud.Signals)}
		}
	} else if pub := s.PublicTally(); pub != nil {
		b.Tally = &pub
	}
	if s.State.Results == vote.ResultsRevealed {
		w := s.PublicWithheld()
		b.Withheld = &w
		b.Corrected = vote.CorrectedAt(s.State)
	}
	content, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("hub: encode snapshot of %q: %w", s.Poll, err)
	}
	at := s.At
	if at.IsZero() {
		at = readAt
	}
	tail := make([]byte, 0, len(content)+len(`,"at":""}`)+len(atLayout))
	tail = append(tail, ',')
	tail = append(tail, content[1:len(content)-1]...)
	tail = append(tail, `,"at":"`...)
	tail = at.UTC().AppendFormat(tail, atLayout)
	tail = append(tail, `"}`...)
	return &message{content: content, tail: tail, readAt: readAt}, nil
}

// sameContent reports whether two snapshots of one poll show the same thing to every audience:
// the state a message carries (status, results, the places the public sees, the correction),
// counts, tally and rate (to the one decimal sent); when they were read, and the state no message
// carries (the organiser's hold on new networks, the audit), do not count.
func sameContent(a, b vote.Snapshot) bool {
	if a.State.Status != b.State.Status || a.State.Results != b.State.Results || a.State.Corrected != b.State.Corrected ||
		a.PublicWithheld() != b.PublicWithheld() || a.Ballots != b.Ballots || a.Held != b.Held || a.Void != b.Void || round1(a.Rate) != round1(b.Rate) {
		return false
	}
	return sameCounts(a.Tally, b.Tally) && sameCounts(a.Fraud.Results, b.Fraud.Results) &&
		sameCounts(a.Fraud.Signals, b.Fraud.Signals)
}

// sameCounts reports whether two maps of counts hold the same counts.
func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for id, n := range a {
		if m, ok := b[id]; !ok || m != n {
			return false
		}
	}
	return true
}

// orEmpty is m, or an empty map for nil (encoded {} rather than null).
func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// round1 rounds a rate to one decimal; a rate that is not a finite number reads as 0.
func round1(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*10) / 10
}
