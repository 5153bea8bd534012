package vote

import "time"

// The fraud policy types: what a vote attempt showed (Signal), how the policy weighs it
// (Severity, Decide) and what is done with the attempt (Verdict). Package fraud detects the
// signals (fraud.Judge) and says what each means; the store decides the source signals in the
// same atomic step that records a ballot (Caps gives it the caps, WithSource completes the
// verdict with what it counted).

// Signal names one thing an attempt showed. Names are stable: metrics and the organiser's
// signals overview use them.
type Signal string

// The signals, in the order a verdict lists them.
const (
	SignalHoneypot     Signal = "honeypot"
	SignalChallenge    Signal = "challenge"
	SignalIPCap        Signal = "ip_cap"
	SignalWebdriver    Signal = "webdriver"
	SignalToolAgent    Signal = "tool_agent"
	SignalIPMinute     Signal = "ip_minute"
	SignalIPHour       Signal = "ip_hour"
	SignalSubnetMinute Signal = "subnet_minute"
	SignalSubnetHour   Signal = "subnet_hour"
	SignalShared       Signal = "shared_source" // the address, subnet or group had other ballots in the hour
	SignalSkewed       Signal = "skewed"        // the source votes unlike the rest of the poll (the choice test)
	SignalAlone        Signal = "alone"         // at the close: the source is (nearly) the whole poll, nothing to compare it with
	SignalUndecided    Signal = "undecided"     // at the close: the choice test could not tell the source from the rest
	SignalNewNetwork   Signal = "new_network"   // the first of its sources in the hour while the organiser holds new networks
	SignalTooFast      Signal = "too_fast"
	SignalNoLanguage   Signal = "no_language"
	SignalSurge        Signal = "velocity" // a chosen candidate is surging (see fraud.Velocity)
)

// Signals lists every signal, in the order a verdict lists them.
var Signals = []Signal{SignalHoneypot, SignalChallenge, SignalIPCap, SignalWebdriver, SignalToolAgent, SignalIPMinute, SignalIPHour,
	SignalSubnetMinute, SignalSubnetHour, SignalShared, SignalSkewed, SignalAlone, SignalUndecided, SignalNewNetwork, SignalTooFast, SignalNoLanguage, SignalSurge}

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

// Severity returns the signal's severity.
func (s Signal) Severity() Severity {
	switch s {
	case SignalHoneypot, SignalChallenge, SignalIPCap:
		return Definite
	case SignalWebdriver, SignalToolAgent, SignalSkewed, SignalAlone, SignalUndecided, SignalNewNetwork:
		return Strong
	case SignalIPMinute, SignalIPHour, SignalSubnetMinute, SignalSubnetHour, SignalShared:
		return Pending
	}
	return Weak
}

// Action is what to do with an attempt.
type Action int

// The actions.
const (
	Accept Action = iota // count the ballot
	Hold                 // record it held for review; answer as if accepted
	Refuse               // refuse it with Verdict.Err; record nothing
)

func (a Action) String() string {
	switch a {
	case Hold:
		return "hold"
	case Refuse:
		return "refuse"
	}
	return "accept"
}

// Attempt is what is known of one vote attempt before the store sees it. Zero values
// mean "nothing to report".
type Attempt struct {
	// Honeypot is what the ballot page's hidden field held.
	Honeypot string
	// ChallengeFailed: the poll asks for proof of work and this attempt's is missing or wrong.
	ChallengeFailed bool
	// ChallengeAge is the time from issuing the attempt's challenge to the vote (0: no challenge).
	ChallengeAge time.Duration
	// Elapsed is the time from showing the ballot to the vote as the page reports it (0: not
	// reported). A script may lie here; a page does not.
	Elapsed time.Duration
	// AcceptLanguage: the request had an Accept-Language header.
	AcceptLanguage bool
	UserAgent      string
	// Webdriver: the page reports navigator.webdriver.
	Webdriver bool
	// Surging: a chosen candidate is surging (fraud.Velocity.Surging).
	Surging bool
}

// Verdict is the outcome for one attempt.
type Verdict struct {
	Action Action
	// Signals lists every signal the attempt showed, in the order of Signals (a signal that did
	// not decide anything is listed too: it is counted and reported).
	Signals []Signal
	// Reason is the signal that decided a refusal or a hold ("" when accepted).
	Reason Signal
}

// Err is the error that answers a refused attempt (nil unless the action is Refuse):
// ErrChallengeFailed for a failed challenge or a filled honeypot (403 challenge_failed),
// ErrSourceCapped for the hard cap (429 rate_limited).
func (v Verdict) Err() error {
	if v.Action != Refuse {
		return nil
	}
	if v.Reason == SignalIPCap {
		return ErrSourceCapped
	}
	return ErrChallengeFailed
}

// Decide returns the verdict of an attempt that showed signals (in the order of Signals) under
// pol: refuse when a definite signal shows; otherwise, when the policy holds, hold on a strong
// signal or on pol.WeakToHold weak ones together, and hold (pending) on a pending signal;
// otherwise accept.
func Decide(pol FraudPolicy, signals []Signal) Verdict {
	v := Verdict{Signals: signals}
	v.decide(pol)
	return v
}

// decide sets the action and the reason from the signals.
func (v *Verdict) decide(pol FraudPolicy) {
	v.Action, v.Reason = Accept, ""
	weak, firstWeak, firstStrong, firstPending := 0, Signal(""), Signal(""), Signal("")
	for _, s := range v.Signals {
		switch s.Severity() {
		case Definite:
			v.Action, v.Reason = Refuse, s
			return
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
		v.Action, v.Reason = Hold, firstStrong
	case pol.WeakToHold > 0 && weak >= pol.WeakToHold:
		v.Action, v.Reason = Hold, firstWeak
	case firstPending != "":
		v.Action, v.Reason = Hold, firstPending
	}
}

// Pends reports whether a ballot held with these signals waits only for the choice test: its
// hold is decided by a Pending signal alone (no strong signal, too few weak ones), so it is
// released automatically once its source is judged to vote like the rest of the poll.
func (v Verdict) Pends() bool {
	return v.Action == Hold && v.Reason.Severity() == Pending
}

// Caps returns the caps the store applies to an attempt from a source: none for a subnet the
// organiser trusts; the soft caps only when the policy holds; the hard cap always.
func Caps(pol FraudPolicy, trusted bool) SourceCaps {
	if trusted {
		return SourceCaps{}
	}
	c := SourceCaps{IPHard: pol.IPHardCap}
	if pol.Hold {
		c.IPMinute, c.IPHour, c.SubnetMinute, c.SubnetHour = pol.IPPerMinute, pol.IPPerHour, pol.SubnetPerMinute, pol.SubnetPerHour
		c.Shared = pol.SkewMinBallots > 0
	}
	return c
}

// SourceSignals returns the source signals of src under pol (see Counted.Signals, with the caps
// of pol). A trusted source shows none.
func SourceSignals(pol FraudPolicy, trusted bool, src Counted) []Signal {
	if trusted {
		return nil
	}
	return src.Signals(Caps(pol, false))
}

// WithSource completes the verdict of an attempt the store recorded from src: it adds the source
// signals (SourceSignals) and decides again, and holds when the store held the ballot
// (Counted.Held), which it does exactly when the verdict, a soft cap or a shared source said so.
func (v Verdict) WithSource(pol FraudPolicy, trusted bool, from Counted) Verdict {
	held := from.Held
	src := SourceSignals(pol, trusted, from)
	if len(src) > 0 {
		v.Signals = MergeSignals(v.Signals, src)
		v.decide(pol)
	}
	if held && v.Action == Accept {
		v.Action = Hold // the store held it on counts this instance does not see as over (a policy change)
	}
	return v
}

func contains(list []Signal, s Signal) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// HeldFor returns the signal that held a ballot recorded held with signals under pol (the one
// Decide would give as the reason were pol to hold; the first signal when none would decide;
// "" without signals). The organiser reviews held ballots grouped by it.
func HeldFor(pol FraudPolicy, signals []Signal) Signal {
	pol.Hold = true
	if r := Decide(pol, signals).Reason; r != "" {
		return r
	}
	if len(signals) > 0 {
		return signals[0]
	}
	return ""
}

// MergeSignals returns the signals of a and b, each once, in the order of Signals.
func MergeSignals(a, b []Signal) []Signal {
	out := make([]Signal, 0, len(a)+len(b))
	for _, s := range Signals {
		if contains(a, s) || contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// WithCap is the verdict of an attempt the store refused at the hard cap.
func (v Verdict) WithCap() Verdict {
	merged := make([]Signal, 0, len(v.Signals)+1)
	for _, s := range Signals {
		if s == SignalIPCap || contains(v.Signals, s) {
			merged = append(merged, s)
		}
	}
	v.Signals, v.Action, v.Reason = merged, Refuse, SignalIPCap
	return v
}
