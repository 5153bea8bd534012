package vote

import "time"

// The words the vote workflow and the stores share with package fraud: what a vote attempt
// showed (Signal) and what is done with it (Verdict). Package fraud detects the signals, weighs
// them and gives the verdict (the booth asks it through Judge); the store decides the source
// signals in the same atomic step that records a ballot (Counted.Signals).

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

// Action is what to do with an attempt.
type Action int

// The actions.
const (
	Accept Action = iota // count the ballot
	Hold                 // record it held for review; answer as if accepted
	Refuse               // refuse it (ErrChallengeFailed, or ErrSourceCapped at the hard cap); record nothing
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
	// Surging: a chosen candidate is surging (the Judge fills it in: package fraud's velocity).
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

func contains(list []Signal, s Signal) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
