// Package fraud gives each vote attempt a verdict: accept it, hold it for review, or refuse it,
// from the signals the attempt shows. Only definite signals refuse; the rest hold, never silently
// drop, and a held ballot is answered exactly like an accepted one (the organiser releases or
// voids it later). The numbers come from the poll's vote.FraudPolicy.
//
// The signals, from the strongest:
//
//   - Definite (refuse): honeypot (the ballot page's hidden field was filled in: a form-filling
//     script), challenge (the proof of work is missing, wrong, expired or replayed), ip_cap (the
//     IP address is at the poll's hard cap, when one is set).
//   - Strong (hold): webdriver (the page reports navigator.webdriver: the browser says it is
//     automated), tool_agent (the User-Agent is an HTTP library, a command-line tool, a headless
//     browser or a crawler, or is missing), ip_minute, ip_hour, subnet_minute, subnet_hour (the
//     source went over a soft cap; never for a subnet the organiser trusts).
//   - Weak (hold when WeakToHold of them come together): too_fast (less than MinVoteTime from the
//     challenge, or from showing the ballot as the page reports it, to the vote), no_language
//     (no Accept-Language header: every browser sends one), velocity (a chosen candidate is
//     surging against its own trailing baseline; see Velocity).
//
// The source signals are decided by the store in the same atomic step that records the ballot
// (so that every instance applies the caps to the same counts): Caps gives the store the caps for
// an attempt, and WithSource completes the verdict with what the store counted.
//
// fraud imports vote only: no web framework, no store, no metrics.
package fraud

import (
	"time"

	"github.com/livevote/livevote/vote"
)

// Signal names one thing an attempt showed. Names are stable: metrics and the organiser's
// signals overview use them.
type Signal string

// The signals, in the order a verdict lists them.
const (
	Honeypot     Signal = "honeypot"
	Challenge    Signal = "challenge"
	IPCap        Signal = "ip_cap"
	Webdriver    Signal = "webdriver"
	ToolAgent    Signal = "tool_agent"
	IPMinute     Signal = "ip_minute"
	IPHour       Signal = "ip_hour"
	SubnetMinute Signal = "subnet_minute"
	SubnetHour   Signal = "subnet_hour"
	TooFast      Signal = "too_fast"
	NoLanguage   Signal = "no_language"
	Surge        Signal = "velocity" // a chosen candidate is surging (see Velocity)
)

// Signals lists every signal, in the order a verdict lists them.
var Signals = []Signal{Honeypot, Challenge, IPCap, Webdriver, ToolAgent, IPMinute, IPHour,
	SubnetMinute, SubnetHour, TooFast, NoLanguage, Surge}

// Severity is how much a signal weighs in the verdict.
type Severity int

// The severities.
const (
	Weak     Severity = iota + 1 // holds together with others (FraudPolicy.WeakToHold)
	Strong                       // holds
	Definite                     // refuses
)

// Severity returns the signal's severity.
func (s Signal) Severity() Severity {
	switch s {
	case Honeypot, Challenge, IPCap:
		return Definite
	case Webdriver, ToolAgent, IPMinute, IPHour, SubnetMinute, SubnetHour:
		return Strong
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

// Attempt is what the server knows of one vote attempt before the store sees it. Zero values
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
	// Surging: a chosen candidate is surging (Velocity.Surging).
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
// vote.ErrChallengeFailed for a failed challenge or a filled honeypot (403 challenge_failed),
// vote.ErrSourceCapped for the hard cap (429 rate_limited).
func (v Verdict) Err() error {
	if v.Action != Refuse {
		return nil
	}
	if v.Reason == IPCap {
		return vote.ErrSourceCapped
	}
	return vote.ErrChallengeFailed
}

// Judge gives an attempt its verdict from what the server knows before the store: refuse when a
// definite signal shows; otherwise, when the policy holds, hold on a strong signal or on
// pol.WeakToHold weak ones together; otherwise accept. The source signals come later (WithSource).
func Judge(pol vote.FraudPolicy, a Attempt) Verdict {
	var v Verdict
	show := func(s Signal, ok bool) {
		if ok {
			v.Signals = append(v.Signals, s)
		}
	}
	show(Honeypot, a.Honeypot != "")
	show(Challenge, a.ChallengeFailed)
	show(Webdriver, a.Webdriver)
	show(ToolAgent, IsTool(a.UserAgent))
	tooFast := func(d time.Duration) bool { return d > 0 && d < pol.MinVoteTime }
	show(TooFast, tooFast(a.ChallengeAge) || tooFast(a.Elapsed))
	show(NoLanguage, !a.AcceptLanguage)
	show(Surge, a.Surging)
	v.decide(pol)
	return v
}

// decide sets the action and the reason from the signals.
func (v *Verdict) decide(pol vote.FraudPolicy) {
	v.Action, v.Reason = Accept, ""
	weak, firstWeak, firstStrong := 0, Signal(""), Signal("")
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
		}
	}
	switch {
	case !pol.Hold:
	case firstStrong != "":
		v.Action, v.Reason = Hold, firstStrong
	case pol.WeakToHold > 0 && weak >= pol.WeakToHold:
		v.Action, v.Reason = Hold, firstWeak
	}
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
	}
	return c
}

// SourceSignals returns the source signals of counts under pol: each count over its soft cap.
// A trusted source shows none.
func SourceSignals(pol vote.FraudPolicy, trusted bool, c vote.SourceCounts) []Signal {
	if trusted {
		return nil
	}
	var out []Signal
	for _, x := range []struct {
		s          Signal
		count, cap int64
	}{
		{IPMinute, c.IPMinute, pol.IPPerMinute}, {IPHour, c.IPHour, pol.IPPerHour},
		{SubnetMinute, c.SubnetMinute, pol.SubnetPerMinute}, {SubnetHour, c.SubnetHour, pol.SubnetPerHour},
	} {
		if x.cap > 0 && x.count > x.cap {
			out = append(out, x.s)
		}
	}
	return out
}

// WithSource completes the verdict of an attempt the store recorded: it adds the source signals of
// the store's counts (SourceSignals) and decides again, and holds when the store held the ballot
// (held: vote.Source.Held), which it does exactly when the verdict or a soft cap said so.
func (v Verdict) WithSource(pol vote.FraudPolicy, trusted bool, c vote.SourceCounts, held bool) Verdict {
	src := SourceSignals(pol, trusted, c)
	if len(src) > 0 {
		merged := make([]Signal, 0, len(v.Signals)+len(src))
		for _, s := range Signals {
			if contains(v.Signals, s) || contains(src, s) {
				merged = append(merged, s)
			}
		}
		v.Signals = merged
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

// WithCap is the verdict of an attempt the store refused at the hard cap.
func (v Verdict) WithCap() Verdict {
	merged := make([]Signal, 0, len(v.Signals)+1)
	for _, s := range Signals {
		if s == IPCap || contains(v.Signals, s) {
			merged = append(merged, s)
		}
	}
	v.Signals, v.Action, v.Reason = merged, Refuse, IPCap
	return v
}
