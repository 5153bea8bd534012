package translog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/livevote/livevote/vote"
)

// The types of log entries, as the "type" field of a leaf names them.
const (
	TypeBallot  = "ballot"
	TypeRelease = "release"
	TypeVoid    = "void"
	TypeAdmin   = "admin"
	// TypeSeal is a leaf of the public tree only: a commitment to the sealed tree (seal.go).
	TypeSeal = "seal"
)

// atFormat is the time of a leaf: RFC 3339 in UTC with milliseconds.
const atFormat = "2006-01-02T15:04:05.000Z07:00"

// Leaf is one log entry as its leaf bytes carry it. It identifies no voter and no address: a
// ballot or a review names its receipt only by the receipt's SHA-256 (so a voter can find their
// own ballot, nobody else can link it to a person).
type Leaf struct {
	Type        string `json:"type"`
	ReceiptHash string `json:"receipt_hash,omitempty"`
	At          string `json:"at,omitempty"` // every entry has one; a seal has none
	// Commitment is a seal's: the hex SHA-256 commitment to the sealed tree (seal.go).
	Commitment string   `json:"commitment,omitempty"`
	Choices    []string `json:"choices,omitempty"`
	Held       *bool    `json:"held,omitempty"`
	Action     string   `json:"action,omitempty"`
	Value      *string  `json:"value,omitempty"`
	Role       string   `json:"role,omitempty"`
	// By names who settled a review when it was not an organiser ("system": an automatic release
	// of a pending ballot whose source votes like the rest of the poll).
	By string `json:"by,omitempty"`
}

// ReceiptHash is the hex SHA-256 of a receipt id, the name of its ballot in the log.
func ReceiptHash(receipt string) string {
	h := sha256.Sum256([]byte(receipt))
	return hex.EncodeToString(h[:])
}

// LeafOf returns the sealed leaf of a log entry: everything the entry says (a ballot's "held",
// every review, every organiser action), as the sealed tree holds it (seal.go). The bytes are canonical: the same entry gives the same
// bytes on every instance (fields in a fixed order, times in UTC to the millisecond), so the same
// log gives the same tree.
func LeafOf(e vote.LogEntry) Leaf {
	l := Leaf{At: e.At.UTC().Format(atFormat)}
	switch e.State {
	case vote.BallotCounted, vote.BallotHeld:
		held := e.State == vote.BallotHeld
		l.Type, l.ReceiptHash, l.Choices, l.Held = TypeBallot, ReceiptHash(e.Receipt), e.Choices, &held
		if l.Choices == nil {
			l.Choices = []string{}
		}
	case vote.BallotReleased:
		l.Type, l.ReceiptHash, l.By = TypeRelease, ReceiptHash(e.Receipt), e.By
	case vote.BallotVoid:
		l.Type, l.ReceiptHash, l.By = TypeVoid, ReceiptHash(e.Receipt), e.By
	case vote.LogAdmin:
		value := e.Value
		l.Type, l.Action, l.Value, l.Role = TypeAdmin, e.Action, &value, e.Role
	default:
		l.Type = string(e.State) // unknown to this version: still a leaf, never counted
	}
	return l
}

// Bytes returns the leaf's canonical JSON (no trailing newline): exactly what json.Marshal gives
// for the Leaf (the format's definition; TestLeafBytesAreJSONMarshal holds the two together),
// without reflection, since every instance encodes every ballot's leaf.
func (l Leaf) Bytes() []byte { return l.AppendTo(make([]byte, 0, 256)) }

// AppendTo appends the leaf's canonical JSON (Bytes) to b: a caller that only hashes the leaf
// reuses one buffer (the sequencer encodes two leaves a ballot).
func (l Leaf) AppendTo(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, l.Type)
	if l.ReceiptHash != "" {
		b = append(b, `,"receipt_hash":`...)
		b = appendString(b, l.ReceiptHash)
	}
	if l.At != "" {
		b = append(b, `,"at":`...)
		b = appendString(b, l.At)
	}
	if l.Commitment != "" {
		b = append(b, `,"commitment":`...)
		b = appendString(b, l.Commitment)
	}
	if len(l.Choices) > 0 {
		b = append(b, `,"choices":[`...)
		for i, c := range l.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c)
		}
		b = append(b, ']')
	}
	if l.Held != nil {
		b = append(b, `,"held":`...)
		b = strconv.AppendBool(b, *l.Held)
	}
	if l.Action != "" {
		b = append(b, `,"action":`...)
		b = appendString(b, l.Action)
	}
	if l.Value != nil {
		b = append(b, `,"value":`...)
		b = appendString(b, *l.Value)
	}
	if l.Role != "" {
		b = append(b, `,"role":`...)
		b = appendString(b, l.Role)
	}
	if l.By != "" {
		b = append(b, `,"by":`...)
		b = appendString(b, l.By)
	}
	return append(b, '}')
}

// appendString appends s as json.Marshal encodes a string: quoted as it is when it holds only
// printable ASCII that needs no escape (receipt hashes, times, candidate ids); otherwise through
// json.Marshal itself (its escapes of quotes, control characters, <, > and &, U+2028, U+2029 and
// invalid UTF-8 are the format's).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// EntryBytes returns the sealed leaf bytes of a log entry.
func EntryBytes(e vote.LogEntry) []byte { return LeafOf(e).Bytes() }

// publicActions are the organiser actions whose entries are public leaves: each changes something
// every visitor sees anyway (the poll's status, its results' visibility, the proof-of-work
// difficulty, the reveal's steps as the stage shows them, and the statement of the result once
// the stage has shown it all, which opens the log). Every other action (trusting a subnet, a hold
// on new networks, ...) is part of review: sealed.
var publicActions = [...]string{"status", "results", "difficulty", "reveal", "statement"}

// PublicLeafOf returns the public leaf of a log entry, and false for an entry that is sealed
// until the opening (a review, an organiser action of review). A ballot's public leaf carries only
// what its voter knows (receipt hash, recording time, choices): not whether it was held.
func PublicLeafOf(e vote.LogEntry) (Leaf, bool) { return publicOf(e, LeafOf(e)) }

// publicOf is PublicLeafOf given the entry's sealed leaf (LeafOf(e)), which it does not recompute.
func publicOf(e vote.LogEntry, sealed Leaf) (Leaf, bool) {
	switch e.State {
	case vote.BallotCounted, vote.BallotHeld:
		sealed.Held = nil
		return sealed, true
	case vote.LogAdmin:
		for _, a := range publicActions {
			if e.Action == a {
				return sealed, true
			}
		}
	}
	return Leaf{}, false
}

// ReceiptLeaf returns the public leaf bytes of the ballot of a recorded receipt: the store keeps
// everything it holds (recording time, choices), so a proof needs no copy of the leaves.
func ReceiptLeaf(r vote.Receipt) []byte {
	l, _ := PublicLeafOf(vote.LogEntry{Receipt: r.ID, At: r.RecordedAt, Choices: r.Choices, State: vote.BallotCounted})
	return l.Bytes()
}

// SealedReceiptLeaf returns the sealed leaf bytes of the ballot of a recorded receipt: its public
// leaf and whether it was recorded held (a ballot released or voided was).
func SealedReceiptLeaf(r vote.Receipt) []byte {
	state := vote.BallotHeld
	if r.State == vote.BallotCounted {
		state = vote.BallotCounted
	}
	return EntryBytes(vote.LogEntry{Receipt: r.ID, At: r.RecordedAt, Choices: r.Choices, State: state})
}

// ParseLeaf reads sealed leaf bytes back into a log entry for recounting: Receipt (and Voter, so that no
// two ballots look like one voter's) is the receipt hash; admin entries come back as vote.LogAdmin.
func ParseLeaf(b []byte) (vote.LogEntry, error) {
	var l Leaf
	if err := json.Unmarshal(b, &l); err != nil {
		return vote.LogEntry{}, fmt.Errorf("not a log entry: %w", err)
	}
	at, err := time.Parse(time.RFC3339Nano, l.At)
	if err != nil {
		return vote.LogEntry{}, fmt.Errorf("entry time %q: %w", l.At, err)
	}
	e := vote.LogEntry{Receipt: l.ReceiptHash, Voter: l.ReceiptHash, At: at, Choices: l.Choices}
	switch l.Type {
	case TypeBallot:
		if l.Held == nil || l.ReceiptHash == "" {
			return vote.LogEntry{}, errors.New("a ballot without receipt_hash or held")
		}
		e.State = vote.BallotCounted
		if *l.Held {
			e.State = vote.BallotHeld
		}
	case TypeRelease, TypeVoid:
		if l.ReceiptHash == "" {
			return vote.LogEntry{}, errors.New("a review without receipt_hash")
		}
		e.State, e.By = vote.BallotReleased, l.By
		if l.Type == TypeVoid {
			e.State = vote.BallotVoid
		}
	case TypeAdmin:
		e.State, e.Action, e.Role = vote.LogAdmin, l.Action, l.Role
		if l.Value != nil {
			e.Value = *l.Value
		}
	default:
		return vote.LogEntry{}, fmt.Errorf("unknown entry type %q", l.Type)
	}
	return e, nil
}
