package translog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/livevote/livevote/vote"
	"golang.org/x/mod/sumdb/tlog"
)

// A poll's log is two RFC 6962 trees, both deterministic functions of the store's log:
//
//   - The sealed tree holds every entry as LeafOf gives it (a ballot with "held", every release
//     and void with "by", every organiser action), in log order. Nothing of it is public until
//     the poll's log is opened (Opens): then its leaves and the poll's salt are served.
//   - The public tree holds what a stranger may know while results are hidden: each ballot's
//     public leaf (PublicLeafOf: no "held"), the organiser actions everyone sees anyway, and seal
//     leaves. A seal leaf commits to the sealed tree as it stands at that point of the log:
//     {"type":"seal","commitment":hex SHA-256(sealLabel || salt || size (8 bytes, big endian) ||
//     root)}, the salt a per-poll secret (Key.Salt). Without the salt a commitment is a random
//     string: it says neither how many sealed entries there are nor what they say.
//
// Where the seal leaves go depends only on public leaves (Sealer.Next): after every SealEvery-th
// ballot, after every public organiser action (so the action that opens the log is followed by
// a seal of everything before it), and once the log is open after every entry. So the public
// tree's size and contents move with ballots and public actions only, never with what the
// choice test or a review decided. After the opening, anyone holding the salt and the sealed
// leaves replays them into the public tree (VerifyExport does): a sealed entry changed after a
// seal committed to it changes that seal's leaf, so the public root, which observers kept
// before the opening.

// SealEvery is how many ballots apart the seal leaves of a log that is not open are (besides one
// after every public organiser action).
const SealEvery = 16

// sealLabel starts every commitment.
const sealLabel = "livevote sealed tree v1\n"

// saltLabel separates the salts' key from every other key derived from the log secret.
const saltLabel = "livevote sealed tree salt v1"

// Opens reports whether e opens its poll's log: the entry after which the sealed tree is public
// (its leaves and the salt served, a seal after every entry). It is the one place that says when
// a poll's log opens: the "statement" entry, written when the stage has shown the last place of
// a staged reveal (or when live results are revealed), not the "results" entry that starts the
// reveal: the places the stage has not shown yet stay sealed until then. Once open, a log stays
// open (its salt is out), whatever the results' visibility later.
func Opens(e vote.LogEntry) bool {
	return e.State == vote.LogAdmin && e.Action == "statement"
}

// Sealer decides, entry by entry in log order, what the public tree gets: the public leaf of
// the entry (if any) and whether a seal leaf follows it. The zero value starts a log.
type Sealer struct {
	ballots int64
	open    bool
}

// Next returns e's public leaf (ok false: none) and whether a seal of the sealed tree, e
// included, follows it. sealed is e's sealed leaf (LeafOf(e)).
func (s *Sealer) Next(e vote.LogEntry, sealed Leaf) (pub Leaf, ok, seal bool) {
	pub, ok = publicOf(e, sealed)
	switch {
	case s.open:
		seal = true
	case e.State == vote.BallotCounted || e.State == vote.BallotHeld:
		s.ballots++
		seal = s.ballots%SealEvery == 0
	case ok:
		seal = true
	}
	if Opens(e) {
		s.open = true
	}
	return pub, ok, seal
}

// Open reports whether the entries given to Next so far opened the log.
func (s *Sealer) Open() bool { return s.open }

// Salt returns the salt of the sealed tree of the log named origin: HMAC-SHA256 of the origin
// under a key derived from the log secret. Every instance derives the same; it is published when
// the log opens, and tells nothing of the secret or of another log's salt.
func (k *Key) Salt(origin string) []byte {
	m := hmac.New(sha256.New, k.saltKey)
	m.Write([]byte(origin))
	return m.Sum(nil)
}

// Commitment returns the hex commitment to a sealed tree of size entries and root under salt.
func Commitment(salt []byte, size int64, root tlog.Hash) string {
	h := sha256.New()
	h.Write([]byte(sealLabel))
	h.Write(salt)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(size))
	h.Write(n[:])
	h.Write(root[:])
	return hex.EncodeToString(h.Sum(nil))
}

// SealLeaf returns the bytes of a seal leaf.
func SealLeaf(commitment string) []byte {
	return Leaf{Type: TypeSeal, Commitment: commitment}.Bytes()
}
