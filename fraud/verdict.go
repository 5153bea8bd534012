package fraud

import "github.com/livevote/livevote/vote"

// Severity is how much a signal weighs in the verdict.
type Severity int

// The severities.
const (
	Weak     Severity = iota + 1 // holds together with others (FraudPolicy.WeakToHold)
	Strong                       // holds
	Definite                     // refuses
	// Pending holds a ballot only until the choice test has judged its source: released
	// automatically when the source votes like the rest of the poll (see FraudPolicy.SkewMinBallots).
	Pending
)

// SeverityOf returns the signal's severity.
func SeverityOf(s vote.Signal) Severity {
	switch s {
	case vote.SignalHoneypot, vote.SignalChallenge, vote.SignalIPCap:
		return Definite
	case vote.SignalWebdriver, vote.SignalToolAgent, vote.SignalSkewed, vote.SignalAlone, vote.SignalUndecided, vote.SignalNewNetwork:
		return Strong
	case vote.SignalIPMinute, vote.SignalIPHour, vote.SignalSubnetMinute, vote.SignalSubnetHour, vote.SignalShared:
		return Pending
	}
	return Weak
}

// Refusal is the error that answers a refused attempt (nil unless the verdict refuses):
// vote.ErrChallengeFailed for a failed challenge or a filled honeypot (403 challenge_failed),
// vote.ErrSourceCapped for the hard cap (429 rate_limited).
func Refusal(v vote.Verdict) error {
	if v.Action != vote.Refuse {
		return nil
	}
	if v.Reason == vote.SignalIPCap {
		return vote.ErrSourceCapped
	}
	return vote.ErrChallengeFailed
}

// Decide returns the verdict of an attempt that showed signals (in the order of vote.Signals)
// under pol: refuse when a definite signal shows; otherwise, when the policy holds, hold on a
// strong signal or on pol.WeakToHold weak ones together, and hold (pending) on a pending signal;
// otherwise accept.
func Decide(pol vote.FraudPolicy, signals []vote.Signal) vote.Verdict {
	v := vote.Verdict{Signals: signals}
	weak, firstWeak, firstStrong, firstPending := 0, vote.Signal(""), vote.Signal(""), vote.Signal("")
	for _, s := range v.Signals {
		switch SeverityOf(s) {
		case Definite:
			v.Action, v.Reason = vote.Refuse, s
			return v
		case Strong:
			if firstStrong == "" {
				firstStrong = s
			}
		case Weak:
			if weak++; firstWeak == "" {
				firstWeak = s
			}
		case Pending:
			if firstPending == "" {
				firstPending = s
			}
		}
	}
	switch {
	case !pol.Hold:
	case firstStrong != "":
		v.Action, v.Reason = vote.Hold, firstStrong
	case pol.WeakToHold > 0 && weak >= pol.WeakToHold:
		v.Action, v.Reason = vote.Hold, firstWeak
	case firstPending != "":
		v.Action, v.Reason = vote.Hold, firstPending
	}
	return v
}

// Pends reports whether a ballot held with verdict v waits only for the choice test: its hold is
// decided by a Pending signal alone (no strong signal, too few weak ones), so it is released
// automatically once its source is judged to vote like the rest of the poll.
func Pends(v vote.Verdict) bool {
	return v.Action == vote.Hold && SeverityOf(v.Reason) == Pending
}

// Caps returns the caps the store applies to an attempt from a source: none for a subnet the
// organiser trusts; the soft caps only when the policy holds; the hard cap always.
func Caps(pol vote.FraudPolicy, trusted bool) vote.SourceCaps {
	if trusted {
		return vote.SourceCaps{}
	}
	c := vote.SourceCaps{IPHard: pol.IPHardCap}
	if pol.Hold {
		c.IPMinute, c.IPHour, c.SubnetMinute, c.SubnetHour = pol.IPPerMinute, pol.IPPerHour, pol.SubnetPerMinute, pol.SubnetPerHour
		c.Shared = pol.SkewMinBallots > 0
	}
	return c
}

// SourceSignals returns the source signals of what the store counted under pol (see
// vote.Counted.Signals, with the caps of pol). A trusted source shows none.
func SourceSignals(pol vote.FraudPolicy, trusted bool, got vote.Counted) []vote.Signal {
	if trusted {
		return nil
	}
	return got.Signals(Caps(pol, false))
}

// WithSource completes verdict v of an attempt the store recorded from a source with what it
// counted: it adds the source signals (SourceSignals) and decides again, and holds when the store
// held the ballot (Counted.Held), which it does exactly when the verdict, a soft cap or a shared
// source said so.
func WithSource(v vote.Verdict, pol vote.FraudPolicy, trusted bool, got vote.Counted) vote.Verdict {
	if src := SourceSignals(pol, trusted, got); len(src) > 0 {
		v = Decide(pol, vote.MergeSignals(v.Signals, src))
	}
	if got.Held && v.Action == vote.Accept {
		v.Action = vote.Hold // the store held it on counts this instance does not see as over (a policy change)
	}
	return v
}

// WithCap is verdict v of an attempt the store refused at the hard cap.
func WithCap(v vote.Verdict) vote.Verdict {
	v.Signals = vote.MergeSignals(v.Signals, []vote.Signal{vote.SignalIPCap})
	v.Action, v.Reason = vote.Refuse, vote.SignalIPCap
	return v
}

// HeldFor returns the signal that held a ballot recorded held with signals under pol (the one
// Decide would give as the reason were pol to hold; the first signal when none would decide;
// "" without signals). The organiser reviews held ballots grouped by it.
func HeldFor(pol vote.FraudPolicy, signals []vote.Signal) vote.Signal {
	pol.Hold = true
	if r := Decide(pol, signals).Reason; r != "" {
		return r
	}
	if len(signals) > 0 {
		return signals[0]
	}
	return ""
}

// String names the severity as the pages know it: "definite", "strong", "weak" or "pending".
func (s Severity) String() string {
	switch s {
	case Definite:
		return "definite"
	case Strong:
		return "strong"
	case Pending:
		return "pending"
	}
	return "weak"
}
