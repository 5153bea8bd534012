package vote

import (
	"context"
	"time"
)

// Store is a vote store: it records ballots and keeps the running state of every poll.
// Implementations: memstore.Store (embedded, one instance, nothing survives a restart) and
// redisstore.Store (any number of instances on one Redis or a Redis Cluster). Both pass the
// contract suite in votetest. Consumers ask for the parts they use (Ballots, States, Snapshots,
// Records, Sources, FraudCounters, Pinger); each part's contract is on its interface.
//
// Every method of every part is safe for concurrent use. Methods take the *Poll so that a store
// needs no copy of the ballot file: a state field never changed by an organiser reads as
// p.Initial.
//
// Errors: domain outcomes are the sentinels of this package (ErrAlreadyVoted, ErrVotingClosed,
// ErrChallengeFailed, ErrReceiptNotFound, ErrNotHeld, ErrSourceCapped); anything that kept the
// store from answering wraps ErrUnavailable.
type Store interface {
	Ballots
	States
	Snapshots
	Records
	Sources
	FraudCounters
	Pinger
	// Close releases the store's resources; no method may be called after it.
	Close() error
}

// Ballots casts ballots: the part of a Store on the vote path.
type Ballots interface {
	// Cast records one ballot in one atomic step. In order, it refuses with ErrSourceCapped when
	// b has a Source and its IP address is at its hard cap (b.Source.Caps.IPHard), with
	// ErrVotingClosed when the poll's stored status is not open, with ErrChallengeFailed when b.Challenge is set and was
	// used before (the challenge is consumed by this attempt either way), and with ErrAlreadyVoted
	// when the voter has a ballot in b.Period. Otherwise it records the voter, the ballot in the log
	// and under its receipt, and counts it: into the turnout buckets, and into the tally and the
	// ballot total or, when held, into the held tally only. With a Source, it also counts the
	// ballot for its IP address and subnet in the sliding windows of a minute and an hour, for its
	// group (when b.Source.Group is set) in the sliding hour, and for each of them and the poll
	// per candidate in the hour; holds it when a count exceeds its soft cap or, with
	// SourceCaps.Shared, when its address, subnet or group has another ballot in the sliding hour
	// (pending: see Pending); and returns what it counted and whether the ballot is held
	// (Counted; a ballot found recorded: whether it is held, no counts). A held ballot is recorded with its source's hashes (address, subnet, group)
	// and its signals (b.Signals and the source's; see HeldBallot). When Cast returns nil the ballot is
	// durable as far as the store is; when it returns an error the ballot is not recorded, except
	// after an ambiguous failure wrapping ErrUnavailable (timeout after sending). Cast is idempotent
	// per receipt: a ballot whose receipt is already recorded for its voter and period returns nil
	// and changes nothing, so sending the same ballot again resolves an ambiguous failure. Cast
	// does not check choices or schedule: the caller did.
	Cast(ctx context.Context, p *Poll, b Ballot) (Counted, error)
	// UseChallenge consumes a proof-of-work challenge outside a Cast (for attempts refused before
	// they reach Cast); ErrChallengeFailed when it was used before. It is remembered until until.
	UseChallenge(ctx context.Context, p *Poll, challenge string, until time.Time) error
}

// States keeps the part of each poll that organisers change while it runs.
type States interface {
	// State returns the poll's stored state (status as stored, not Effective).
	State(ctx context.Context, p *Poll) (State, error)
	// SetStatus, SetResults, SetDifficulty, SetWithheld and SetCorrected change one field of the poll's state for every
	// instance and return the new state. The caller validated the value. SetStatus also clears,
	// in the same step, the last audit (State.Audited): an audit is of the closed poll.
	SetStatus(ctx context.Context, p *Poll, s Status) (State, error)
	SetResults(ctx context.Context, p *Poll, v Visibility) (State, error)
	SetDifficulty(ctx context.Context, p *Poll, d int) (State, error)
	// SetHoldNew sets State.HoldNewUntil (zero: no hold), to the millisecond, for every instance
	// and returns the new state.
	SetHoldNew(ctx context.Context, p *Poll, until time.Time) (State, error)
	// SetWithheld sets, in one step for every instance, how many places of a revealed result the
	// stage has not shown yet (State.Withheld: n), what it was before (State.Before: before) and
	// when the step was taken (State.StepAt: at, Unix milliseconds), and returns the new state.
	SetWithheld(ctx context.Context, p *Poll, n, before int, at int64) (State, error)
	// SetCorrected sets when the revealed result was last corrected (State.Corrected).
	SetCorrected(ctx context.Context, p *Poll, at int64) (State, error)
	// SetAudited records, for every instance, that an audit ran on the closed poll at at (Unix
	// milliseconds) and what it found (State.Audited, State.AuditConsistent).
	SetAudited(ctx context.Context, p *Poll, at int64, consistent bool) (State, error)
}

// Snapshots reads a poll's counts.
type Snapshots interface {
	// Snapshot reads the poll's state and counts at one moment; now is the time of reading (it
	// dates the snapshot and places the rate window). Status in the snapshot is Effective at now.
	Snapshot(ctx context.Context, p *Poll, now time.Time) (Snapshot, error)
	// Versions reads the version of each of polls, in order, in one step and without their
	// snapshots: a number that every change a Snapshot shows moves, for every instance (a cast
	// that records a ballot, a review, a release or a keep, any change of the poll's State, fraud
	// counts added), in the same atomic step as the change. Snapshot reads the version with the
	// rest (Snapshot.Version), so that while a poll's version is a snapshot's, the snapshot is
	// the poll's but for what time alone changes in it (Snapshot.Steady). A poll nothing
	// changed yet is at version 0.
	Versions(ctx context.Context, polls []*Poll) ([]uint64, error)
	// Turnout returns the ballots received (counted, held or void: so that the public numbers
	// never tell whether a ballot was held, nor how many were voided) per step (time.Minute or time.Hour) as a map from the
	// step's start (Unix seconds, UTC) to a count; steps without ballots are absent.
	Turnout(ctx context.Context, p *Poll, step time.Duration) (map[int64]int64, error)
}

// Records reads what the store recorded of each ballot (receipts, the ballot log) and settles
// held ballots.
type Records interface {
	// VoterBallot returns the receipt of the voter's ballot in the period, or ErrReceiptNotFound.
	VoterBallot(ctx context.Context, p *Poll, voter, period string) (Receipt, error)
	// Receipt returns the receipt with the given id in the poll, or ErrReceiptNotFound.
	Receipt(ctx context.Context, p *Poll, id string) (Receipt, error)
	// Held lists up to limit ballots awaiting review (pending ones included), oldest first, each
	// with why it is held.
	Held(ctx context.Context, p *Poll, limit int) ([]HeldBallot, error)
	// Pending lists up to limit pending ballots, newest first (under a backlog the latest ballots
	// are settled first): ballots that Cast held for their source alone (a soft cap or a shared
	// source, SourceCaps) and not for the caller's verdict, which wait for the choice test
	// (package fraud) and have been neither settled nor kept.
	Pending(ctx context.Context, p *Poll, limit int) ([]HeldBallot, error)
	// Keep takes the listed ballots off the pending list: they stay held for the organiser. When
	// signal is not empty it is added to each one's signals (the choice test's verdict, skewed).
	// A kept ballot recorded in the hour bucket of at (the time of the settling pass) or the one
	// before is added to the hour's held choices (see Sources.Choices). Ballots not pending
	// (settled or kept before, unknown) are skipped: Keep is idempotent.
	Keep(ctx context.Context, p *Poll, receipts []string, signal Signal, at time.Time) error
	// Release releases the listed pending ballots, in one atomic step, as Review does, each with a
	// log entry of the release By "system" At at; ballots not pending (settled, kept, unknown) are
	// skipped, so that any number of instances may run it. It returns how many it released.
	Release(ctx context.Context, p *Poll, receipts []string, at time.Time) (int, error)
	// Review settles a held ballot in one atomic step: release moves it from the held tally into
	// the tally and the ballot total; void takes it out of the held tally and adds it to the void
	// count (Snapshot.Void), so that the ballots received and the turnout, which count every
	// ballot received, never move on a review. Either way the ballot's state changes and the log gets an entry
	// (State released or void, At the time of review). ErrReceiptNotFound for an unknown
	// receipt, ErrNotHeld for a ballot not awaiting review. Review returns the receipt as it is
	// now.
	Review(ctx context.Context, p *Poll, receipt string, release bool, at time.Time) (Receipt, error)
	// Log returns up to limit entries of the poll's ballot log that come after the entry with id
	// after ("" for the first), oldest first. An empty result means the end of the log.
	Log(ctx context.Context, p *Poll, after string, limit int) ([]LogEntry, error)
	// LogAction appends an organiser's or operator's action to the poll's log (an entry of State
	// LogAdmin). It changes nothing else: the caller logs an action before it applies it.
	LogAction(ctx context.Context, p *Poll, a AdminAction) error
}

// Sources reports where recent ballots came from and keeps the subnets the organiser trusts.
type Sources interface {
	// Sources reports the busiest sources (at most n of each kind) of the ballots recorded with a
	// Source in the last minute and the last hour before now.
	Sources(ctx context.Context, p *Poll, now time.Time, n int) (SourceReport, error)
	// Trusted lists the subnets (CIDR prefixes, as the organiser gave them) whose ballots no
	// source cap applies to, sorted (not nil). SetTrusted adds (trusted) or removes a subnet for every
	// instance and returns the new list; the caller validated and normalised the prefix.
	Trusted(ctx context.Context, p *Poll) ([]string, error)
	SetTrusted(ctx context.Context, p *Poll, subnet string, trusted bool) ([]string, error)
	// Choices reads the choice test's counters: for the sliding hour before now, the ballots and
	// the ballots per candidate of the poll and of each listed source (an IP address's, a
	// subnet's or a group's hash), weighted as SourceCounts are (every ballot recorded with a
	// Source counts, whatever its caps), and of the poll's ballots held for the organiser (those
	// recorded with a Source and held by the caller, Ballot.Held, and those kept, Keep; a review
	// later does not take them out); and, in the same read, the poll's counted ballots and tally
	// over its whole life (Snapshot's Ballots and Tally). A source without ballots reads as zero.
	Choices(ctx context.Context, p *Poll, now time.Time, sources []string) (ChoiceCounts, error)
	// Arrivals reads, for each of the minutes minutes up to now (the minute now falls in last,
	// oldest first, at most 60), the ballots recorded with a Source in that minute and those of
	// them from sources new in the hour: ballots whose address, subnet and group had no other
	// ballot in the sliding hour, each its source's first (as SourceCounts count it), whatever
	// became of the ballot (counted or held). Cast counts them in the same atomic step.
	Arrivals(ctx context.Context, p *Poll, now time.Time, minutes int) ([]Arrivals, error)
}

// Arrivals is one minute of a poll's ballots recorded with a Source: All of them, and New, those
// that were the first of their address, subnet and group in the sliding hour (see
// Sources.Arrivals). A farm with a new network for every ballot is all New; so is a household's
// vote.
type Arrivals struct {
	Minute   time.Time
	All, New ChoiceCount
}

// ChoiceCounts are what Sources.Choices reads: the poll's and some sources' choices in the hour,
// the part of the poll's held for the organiser (Held: what the choice test leaves out of the rest
// of the poll), and the poll's counted ballots since it opened (Total: the test's longer reference).
type ChoiceCounts struct {
	Poll    ChoiceCount
	Sources map[string]ChoiceCount
	Held    ChoiceCount
	Total   ChoiceCount
}

// ChoiceCount is the ballots of a source (or of the poll) in a window, and how many of them chose
// each candidate (candidates without ballots absent).
type ChoiceCount struct {
	Ballots int64
	Tally   map[string]int64
}

// FraudCounters sums the fraud counters of every instance.
type FraudCounters interface {
	// AddFraudCounts adds to the poll's fraud counters (see FraudCounts); Snapshot reads them.
	AddFraudCounts(ctx context.Context, p *Poll, c FraudCounts) error
}

// Pinger reports the store's health.
type Pinger interface {
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}

// Ballot is one voter's ballot as the store records it. It carries no IP address and no raw voter
// id: Voter is a keyed hash of the voter id.
type Ballot struct {
	Receipt string    // random id, the voter's proof; unique
	Voter   string    // keyed hash of the voter id
	Period  string    // Poll.Period(At): the dedup period, empty for once polls
	Choices []string  // checked against the poll
	At      time.Time // when the server accepted the attempt
	// Challenge, when not empty, is the proof-of-work challenge this attempt consumes;
	// ChallengeUntil is when it expires and may be forgotten.
	Challenge      string
	ChallengeUntil time.Time
	// Held puts the ballot into the held tally for review instead of the public count.
	Held bool
	// Signals are the caller's verdict's signals, recorded with the ballot if it is held.
	Signals []Signal
	// Source is where the ballot came from (zero: unknown): Cast counts it and applies its caps.
	Source Source
}

// Receipt is what the store knows about a recorded ballot.
type Receipt struct {
	ID         string      `json:"receipt"`
	Poll       string      `json:"poll"`
	Choices    []string    `json:"choices"`
	RecordedAt time.Time   `json:"recorded_at"`
	State      BallotState `json:"state"`
	// Counted is true while the ballot is in the tally (counted or released).
	Counted bool `json:"counted"`
}

// HeldBallot is a held ballot and why it is held: the keyed hashes of its source (empty when it
// had none; Group empty too when its source had no group) and the signals it was held with
// (Verdict.Signals, the source's, and what the choice test added; in the order of Signals).
type HeldBallot struct {
	Receipt
	IP, Subnet, Group string
	Signals           []Signal
}

// BallotState is where a recorded ballot stands.
type BallotState string

// The states of a ballot. A ballot is recorded counted or held; a held ballot is then released
// (counted from then on) or void (kept in the log, never counted).
const (
	BallotCounted  BallotState = "counted"
	BallotHeld     BallotState = "held"
	BallotReleased BallotState = "released"
	BallotVoid     BallotState = "void"
)

// Counts reports whether a ballot in this state is in the tally.
func (s BallotState) Counts() bool { return s == BallotCounted || s == BallotReleased }

// LogEntry is one entry of a poll's ballot log. Cast appends the ballot (State counted or held,
// with its voter hash, period and choices); Review appends the review of a held ballot (State
// released or void, naming the Receipt, At the time of review, no voter or choices); LogAction
// appends an organiser's or operator's action (State LogAdmin, with Action, Value and Role, no
// receipt).
type LogEntry struct {
	ID      string      `json:"id"` // position in the log, increasing
	Receipt string      `json:"receipt"`
	At      time.Time   `json:"at"`
	Voter   string      `json:"voter,omitempty"` // keyed hash of the voter id
	Period  string      `json:"period,omitempty"`
	Choices []string    `json:"choices,omitempty"`
	State   BallotState `json:"state"`
	Action  string      `json:"action,omitempty"`
	Value   string      `json:"value,omitempty"`
	Role    string      `json:"role,omitempty"`
	// By names who settled a review when it was not an organiser: "system" for an automatic
	// release (Records.Release).
	By string `json:"by,omitempty"`
}

// LogAdmin is the State of a log entry that records an action of an organiser or an operator,
// not a ballot.
const LogAdmin BallotState = "admin"

// AdminAction is an organiser's or operator's change to a poll, as the log records it: Action names
// what changed ("status", "results", "difficulty", "trusted", "untrusted", ...), Value is the new
// value as text, Role who did it ("organiser", "operator", "auditor": an audit, or "screen": a
// screen token).
type AdminAction struct {
	Action string
	Value  string
	Role   string
	At     time.Time
}

// ReleasedBy is LogEntry.By of an automatic release.
const ReleasedBy = "system"

// Received is the public number of ballots: every ballot recorded, counted, held or void, so that
// it never tells whether one ballot was held (the tally waits for review) nor how many were
// voided (a review is sealed until the log opens; issue 21's follow-up).
func (s Snapshot) Received() int64 { return s.Ballots + s.Held + s.Void }

// Snapshot is the state and the counts of a poll at one moment, whoever may see which part of it.
type Snapshot struct {
	Poll  string
	State State // Status is Effective at At
	At    time.Time
	// Ballots is the number of counted ballots; Held awaits review (Pending of them wait for the
	// choice test); Void is the number of ballots voided by review.
	Ballots int64
	Held    int64
	Pending int64
	Void    int64
	// Tally is counted choices per candidate id (every candidate present, zero included).
	Tally map[string]int64
	// Rate is ballots received (counted, held or void, as Received) per minute over the last minute (a
	// sliding estimate).
	Rate float64
	// Fraud holds the poll's fraud counters as of the last AddFraudCounts of every instance
	// (organisers only; maps present, maybe empty).
	Fraud FraudCounts
	// Version is the poll's version the snapshot shows (Snapshots.Versions).
	Version uint64
	// Turn is when the poll's schedule next changes Status after At (Poll.Turn); zero when it
	// will not.
	Turn time.Time
}
