package redisstore

import (
	"strings"
	"time"

	"github.com/livevote/livevote/vote"
)

// The layout of the cast script's KEYS and ARGV (cast.lua binds the same names at its top).
// castArgs is the one Go type that knows it.
//
// KEYS: the poll's keys (castKeyState ... castKeyVersion), then the source counters of the batch's
// minute and hour (castKeySources, 10 keys, see pollKeys.sourceKeys), then one key per ballot, in
// order: the key of its challenge (read only when the ballot has a challenge).
//
// ARGV: the batch's head (castArgStatus, castArgMinute, castArgHour), then castFields arguments
// per ballot, in order, each at the offset of its field (castVoterField ... castIPHardCap).
const (
	castKeyState = iota + 1
	castKeyVoters
	castKeyReceipts
	castKeyTally
	castKeyHeldTally
	castKeyBallots
	castKeyHeld
	castKeyMinutes
	castKeyHours
	castKeyLog
	castKeyPending
	castKeyWaiting                      // pending ballots (held for their source alone)
	castKeyWhy                          // why each held ballot is held
	castKeyChoices                      // the choice counters of the batch's hour
	castKeyVersion                      // the poll's version (vote.Snapshots.Versions)
	castKeySources                      // 10 keys: IP and subnet, this minute and the one before, this hour and the one before; group, this hour and the one before
	castKeysHead   = castKeySources + 9 // the keys before the first ballot's challenge key
)

// The head of ARGV.
const (
	castArgStatus = iota + 1 // the poll's initial status (a missing state field reads as it)
	castArgMinute            // the minute bucket (Unix seconds)
	castArgHour              // the hour bucket (Unix seconds)
	castArgsHead  = castArgHour
)

// The fields of one ballot in ARGV, from 0 (ARGV index: castArgsHead + castFields*(i-1) + 1 + field).
const (
	castVoterField      = iota // voter|period, the field of the voters hash
	castReceipt                // the receipt id
	castAt                     // accepted at (Unix ms)
	castState                  // "held" or "counted"
	castVoter                  // the voter's keyed hash
	castPeriod                 // the period
	castChallenge              // the challenge, or ""
	castChallengeTTL           // how long the used challenge is kept (ms)
	castChoices                // the choices, comma-joined
	castIP                     // the source IP's hash, or "" (no source)
	castSubnet                 // the source subnet's hash
	castGroupHash              // the source group's hash, or "" (none)
	castMinuteWeight           // weight of the minute before (its share still in the sliding window)
	castHourWeight             // weight of the hour before
	castIPMinuteCap            // soft caps (0: none)
	castIPHourCap              //
	castSubnetMinuteCap        //
	castSubnetHourCap          //
	castIPHardCap              // hard cap, IP an hour (0: none)
	castSignals                // the caller's verdict's signals, comma-joined
	castShared                 // "1": hold a ballot of a shared source pending the choice test
	castHoldNew                // "1": hold for the organiser a ballot that is the first of its sources
	castFields                 // how many arguments are per ballot
)

// castArgs is one ballot's part of the cast script's KEYS and ARGV, with what the batch's head
// takes from it; its methods are the one place that knows the layout above.
type castArgs struct {
	keys      *pollKeys
	poll      *vote.Poll
	minute    int64  // the minute bucket (Unix seconds) the ballot is recorded in
	challenge string // the key of its challenge
	fields    [castFields]any
}

// set fills in a for ballot b of poll p, whose keys are k.
func (a *castArgs) set(k *pollKeys, p *vote.Poll, b vote.Ballot) {
	state := "counted"
	if b.Held {
		state = "held"
	}
	var ip, subnet, group string
	var wMinute, wHour float64
	var caps vote.SourceCaps
	shared, holdNew := "0", "0"
	if src := b.Source; src.IP != "" {
		ip, subnet, group, caps = src.IP, src.Subnet, src.Group, src.Caps
		wMinute, wHour = vote.SlidingWeight(b.At, time.Minute), vote.SlidingWeight(b.At, time.Hour)
		if caps.Shared {
			shared = "1"
		}
		if caps.HoldNew {
			holdNew = "1"
		}
	}
	challenge, ttl := k.noChallenge, int64(0) // the script reads neither without a challenge
	if b.Challenge != "" {
		challenge, ttl = k.challenge(b.Challenge), challengeTTL(b.ChallengeUntil).Milliseconds()
	}
	a.keys, a.poll, a.minute, a.challenge = k, p, b.At.Truncate(time.Minute).Unix(), challenge
	a.fields = [castFields]any{
		castVoterField: b.Voter + "|" + b.Period, castReceipt: b.Receipt, castAt: b.At.UnixMilli(),
		castState: state, castVoter: b.Voter, castPeriod: b.Period, castChallenge: b.Challenge,
		castChallengeTTL: ttl, castChoices: strings.Join(b.Choices, ","),
		castIP: ip, castSubnet: subnet, castGroupHash: group, castMinuteWeight: wMinute, castHourWeight: wHour,
		castIPMinuteCap: caps.IPMinute, castIPHourCap: caps.IPHour,
		castSubnetMinuteCap: caps.SubnetMinute, castSubnetHourCap: caps.SubnetHour, castIPHardCap: caps.IPHard,
		castSignals: joinSignals(b.Signals), castShared: shared, castHoldNew: holdNew,
	}
}

// head appends the batch's head, taken from a (its first ballot), to keys and args.
func (a *castArgs) head(keys []string, args []any) ([]string, []any) {
	k := a.keys
	keys = append(keys, k.state, k.voters, k.receipts, k.tally, k.heldTally, k.ballots, k.held,
		k.minutes, k.hours, k.log, k.pending, k.waiting, k.why)
	hour := time.Unix(a.minute, 0).Truncate(time.Hour).Unix()
	keys = append(keys, k.choices(hour), k.version)
	keys = append(keys, k.sourceKeys(a.minute, hour)[:]...)
	return keys, append(args, string(a.poll.Initial.Status), a.minute, hour)
}

// ballot appends a's ballot to keys and args, after the head and the ballots before it.
func (a *castArgs) ballot(keys []string, args []any) ([]string, []any) {
	return append(keys, a.challenge), append(args, a.fields[:]...)
}

// joinSignals joins signals with commas (the cast script's SIGNALS).
func joinSignals(signals []vote.Signal) string {
	var b strings.Builder
	for i, s := range signals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(s))
	}
	return b.String()
}
