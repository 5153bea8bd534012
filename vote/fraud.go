package vote

import "time"

// FraudPolicy holds a poll's fraud thresholds: DefaultFraudPolicy(), changed by the optional
// `fraud:` block of the poll in the ballot file. Package fraud says what each signal means and how
// the verdict uses these numbers. A cap or a rate of 0 turns its signal off.
type FraudPolicy struct {
	// Hold lets signals hold ballots for review. When false, signals are counted and reported
	// but never hold a ballot; definite signals (honeypot, failed challenge, IPHardCap) still
	// refuse.
	Hold bool
	// Soft caps per source, in sliding windows: a ballot that makes its IP address (or its /24 or
	// /48 subnet) exceed the cap for the last minute or the last hour is held. Sources in a
	// subnet the organiser trusts are exempt.
	IPPerMinute     int64
	IPPerHour       int64
	SubnetPerMinute int64
	SubnetPerHour   int64
	// IPHardCap refuses (429 rate_limited) a ballot from an IP address that has this many
	// ballots in the last hour already; 0: no hard cap. Trusted subnets are exempt.
	IPHardCap int64
	// MinVoteTime is the shortest time from the challenge (or from showing the ballot, as the
	// page reports it) to the vote that a person plausibly takes.
	MinVoteTime time.Duration
	// VelocityRatio and VelocityMinRate (ballots a minute): a candidate is surging when its
	// ballots in the last minute are at least VelocityMinRate and at least VelocityRatio times its
	// own trailing baseline (and twice the same ratio of the rest of the poll); 0: off.
	VelocityRatio   float64
	VelocityMinRate float64
	// WeakToHold is how many weak signals together hold a ballot; 0: weak signals never hold.
	WeakToHold int
	// SkewMinBallots turns the choice test on (0: off): a ballot whose IP address, subnet or
	// group (Source.Group) has another ballot in the last hour is pending (held, signal
	// shared_source) until the test judges its sources; a source of at least SkewMinBallots ballots in the hour whose choices
	// differ from the rest of the poll's at the level SkewAlpha is skewed, and its ballots stay
	// held for the organiser. Package fraud (Skew) states the test.
	SkewMinBallots int64
	// SkewAlpha is the test's false-positive rate per source and check (Bonferroni-corrected
	// over the candidates).
	SkewAlpha float64
}

// DefaultFraudPolicy returns the policy of a poll whose ballot file has no `fraud:` block (and
// what a partial block starts from). README.md ("Fraud signals") gives the reasoning too.
//
//   - IP: 20 a minute, 100 an hour. A household or a small office rarely puts more than a few
//     ballots a minute through one address; one ballot every 3 s from one address for a minute,
//     or over 100 in an hour, is a venue, a carrier-grade NAT at a peak, or a script. Held, never
//     refused: the organiser releases what is honest, and marks a venue trusted beforehand.
//   - Subnet (/24, /48): 100 a minute, 1,000 an hour. Mobile carriers put many unrelated phones
//     behind a pool of addresses in one /24, so the subnet caps are five to ten times the IP caps;
//     they catch a script that rotates through the addresses of one hosting range.
//   - No hard cap: venues and carrier NATs make any fixed number wrong for someone.
//   - 2 s from challenge to vote: the ballot page fetches its challenge when it shows the ballot;
//     reading it and tapping a choice and the button takes a person longer.
//   - Velocity: 5 times the candidate's trailing baseline and at least 30 ballots a minute: a
//     surge that small numbers and the ceremony's general rush (every candidate at once) do not
//     explain.
//   - Two weak signals hold: each alone has honest explanations (a fast voter, a privacy
//     browser without Accept-Language, a city that mobilises); two together rarely do.
//   - The choice test from 20 ballots at 1e-6 per source and check: 20 ballots for one
//     candidate are skewed unless that candidate has about half of the rest of the poll;
//     README.md ("The choice test") gives the arithmetic.
func DefaultFraudPolicy() FraudPolicy {
	return FraudPolicy{
		Hold:            true,
		IPPerMinute:     20,
		IPPerHour:       100,
		SubnetPerMinute: 100,
		SubnetPerHour:   1000,
		MinVoteTime:     2 * time.Second,
		VelocityRatio:   5,
		VelocityMinRate: 30,
		WeakToHold:      2,
		SkewMinBallots:  20,
		SkewAlpha:       1e-6,
	}
}

// Source is where a ballot came from, as the fraud checks count it: keyed hashes of the client's
// IP address and of its subnet (/24 for IPv4, /48 for IPv6), never an address, and of its group:
// the client's /16 (IPv4) or /32 (IPv6) with its browser's User-Agent and Accept-Language, the
// sources that behave alike (empty: none). Cast counts the ballot for the address and the subnet
// in sliding windows of a minute and an hour and for the group in the hour, which every instance
// shares, applies Caps in the same atomic step, and returns what it counted (Counted). The zero
// Source (IP empty) is no source: nothing is counted or capped.
type Source struct {
	IP, Subnet, Group string
	Caps              SourceCaps
}

// Counted is what Cast returns of a ballot it recorded (or found recorded).
type Counted struct {
	// Held is whether the ballot is recorded held, for whatever reason.
	Held bool
	// Counts are the ballot's source's ballots in the windows, this one included (zero without a
	// source, and when the ballot had been recorded before).
	Counts SourceCounts
	// Shared: the store held the ballot pending the choice test (see SourceCaps.Shared).
	Shared bool
	// HeldNew: the store held the ballot for the organiser as the first of its address, subnet
	// and group in the hour (see SourceCaps.HoldNew).
	HeldNew bool
}

// Signals returns the source signals of what the store counted under caps: each count over its
// soft cap, shared_source when the store held the ballot for sharing its source (Shared), and
// new_network when it held it as the first of its sources while new networks are held
// (HeldNew), in the order of Signals. The store records a held ballot with them.
func (c Counted) Signals(caps SourceCaps) []Signal {
	var out []Signal
	n := c.Counts
	for _, x := range []struct {
		s          Signal
		count, cap int64
	}{
		{SignalIPMinute, n.IPMinute, caps.IPMinute}, {SignalIPHour, n.IPHour, caps.IPHour},
		{SignalSubnetMinute, n.SubnetMinute, caps.SubnetMinute}, {SignalSubnetHour, n.SubnetHour, caps.SubnetHour},
	} {
		if x.cap > 0 && x.count > x.cap {
			out = append(out, x.s)
		}
	}
	if c.Shared {
		out = append(out, SignalShared)
	}
	if c.HeldNew {
		out = append(out, SignalNewNetwork)
	}
	return out
}

// SourceCaps are the caps Cast applies to a ballot with a Source. A ballot that makes a count
// exceed its soft cap is recorded held; a ballot from an IP address that has IPHard ballots in the
// last hour already is refused with ErrSourceCapped and not recorded. 0 means no cap.
//
// Shared turns on the choice test's part of the store: the ballot is counted per candidate for
// its IP address, its subnet, its group and the poll in the hour (Choices reads them), and a
// ballot whose IP address, subnet or group already has a ballot in the hour is recorded held,
// pending the test (Counted.Shared; Records.Pending lists it). Without Shared the group is still
// counted (its hour and choices), never capped.
//
// HoldNew holds for the organiser (not pending: the choice test has nothing to say of one ballot)
// a ballot that is the first of its address, its subnet and its group in the sliding hour (a
// network new to the poll), with the signal new_network (Counted.HeldNew): the organiser's answer
// to many networks at once (State.HoldNewUntil).
type SourceCaps struct {
	IPMinute, IPHour, SubnetMinute, SubnetHour int64
	IPHard                                     int64
	Shared                                     bool
	HoldNew                                    bool
}

// SourceCounts are a source's ballots (counted or held) in sliding windows: the bucket (minute or
// hour) the time falls in plus the part of the bucket before that lies inside the window,
// weighted by its share of it (as Rate does), rounded down. GroupHour is the group's hour (zero
// for a Source without a group).
type SourceCounts struct {
	IPMinute, IPHour, SubnetMinute, SubnetHour int64
	GroupHour                                  int64
}

// SourceReport is what the store knows of the sources of a poll's recent ballots: the busiest IP
// addresses and subnets (as hashes) of the last minute and the last hour.
type SourceReport struct {
	Minute, Hour SourceWindow
}

// SourceWindow is one window of a SourceReport. Ballots counts every ballot recorded with a
// Source; the lists hold the busiest sources, busiest first, estimated as SourceCounts are (a
// Redis store estimates from the busiest of each bucket, so counts of sources outside the lists
// may be low).
type SourceWindow struct {
	Ballots int64         `json:"ballots"`
	IPs     []SourceCount `json:"ips"`
	Subnets []SourceCount `json:"subnets"`
}

// SourceCount is one source of a SourceWindow.
type SourceCount struct {
	Hash    string `json:"hash"`
	Ballots int64  `json:"ballots"`
}

// FraudCounts are a poll's fraud counters, summed over every instance: vote attempts by result
// ("accepted", "held", or the error code that refused them) and by the fraud signals they showed.
type FraudCounts struct {
	Results map[string]int64 `json:"results"`
	Signals map[string]int64 `json:"signals"`
}

// SlidingWindow is one of the windows a source is counted in: Kind "ip" (its IP address) or "net"
// (its subnet), Step a minute or an hour.
type SlidingWindow struct {
	Kind string
	Step time.Duration
}

// SlidingWindows returns the four sliding windows of a source's address and subnet, in the order
// of SourceCounts (the group's hour is counted apart: no cap and no report reads it).
func SlidingWindows() [4]SlidingWindow {
	return [4]SlidingWindow{{"ip", time.Minute}, {"ip", time.Hour}, {"net", time.Minute}, {"net", time.Hour}}
}

// SlidingWeight is the weight of the bucket before the one at falls in, for a window as long as a
// bucket (step): the share of that bucket still inside the window.
func SlidingWeight(at time.Time, step time.Duration) float64 {
	return 1 - float64(at.Sub(at.Truncate(step)))/float64(step)
}
