// Package fraud gives each vote attempt a verdict (vote.Verdict): accept it, hold it for review,
// or refuse it, from the signals (vote.Signal) the attempt shows. Only definite signals refuse;
// the rest hold, never silently drop, and a held ballot is answered exactly like an accepted one
// (the organiser releases or voids it later). The numbers come from the poll's vote.FraudPolicy.
//
// The signals, from the strongest:
//
//   - Definite (refuse): honeypot (the ballot page's hidden field was filled in: a form-filling
//     script), challenge (the proof of work is missing, wrong, expired or replayed), ip_cap (the
//     IP address is at the poll's hard cap, when one is set).
//   - Strong (hold for the organiser): webdriver (the page reports navigator.webdriver: the
//     browser says it is automated), tool_agent (the User-Agent is an HTTP library, a command-line
//     tool, a headless browser or a crawler, or is missing), skewed (the source votes far unlike
//     the rest of the poll, too many for some candidate or too few for another: the choice test,
//     Skew), alone and undecided (at the close, what the choice test could not decide:
//     SettleClosed), new_network (the first ballot of its network in the hour while the
//     organiser holds new networks: see Newcomers).
//   - Pending (hold until the choice test has judged the source, then release it automatically
//     unless skewed; see Settle): ip_minute, ip_hour, subnet_minute, subnet_hour (the source went
//     over a soft cap), shared_source (the address, subnet or group had another ballot in the
//     hour; a group is the sources of one /16 or /32 whose browsers send the same headers);
//     never for a subnet the organiser trusts.
//   - Weak (hold when WeakToHold of them come together): too_fast (less than MinVoteTime from the
//     challenge, or from showing the ballot as the page reports it, to the vote), no_language
//     (no Accept-Language header: every browser sends one), velocity (a chosen candidate is
//     surging against its own trailing baseline; see Velocity).
//
// The source signals are decided by the store in the same atomic step that records the ballot
// (so that every instance applies the caps to the same counts): Caps gives the store the caps for
// an attempt, and WithSource completes the verdict with what the store counted (verdict.go).
//
// Checks (checks.go) are the fraud checks of the program's polls and their state in this
// instance (velocity, trusted subnets, counts not yet shared): the vote workflow asks them for
// each attempt's verdict through vote.Judge (Screen before the store, Verdict once after it);
// their loops (loops.go), which the program runs, sample the polls and settle the pending
// ballots; the organiser's views (overview.go, groups.go, trust.go) answer from them.
//
// The choice test (skew.go), the budget on what it releases by itself (budget.go) and the
// settling of pending ballots (settle.go, every few seconds on every instance, and once the poll
// is closed, its last pass) read the store's per-source choice counters through a small
// interface; Newcomers (newcomers.go) reads the minute's arrivals.
//
// fraud imports vote only: no web framework, no store implementation, no metrics library.
package fraud

import (
	"time"

	"github.com/livevote/livevote/vote"
)

// Judge gives an attempt its verdict from what the server knows before the store: refuse when a
// definite signal shows; otherwise, when the policy holds, hold on a strong signal or on
// pol.WeakToHold weak ones together; otherwise accept. The source signals come after the store
// (WithSource, in Checks.Verdict).
func Judge(pol vote.FraudPolicy, a vote.Attempt) vote.Verdict {
	var signals []vote.Signal
	show := func(s vote.Signal, ok bool) {
		if ok {
			signals = append(signals, s)
		}
	}
	show(vote.SignalHoneypot, a.Honeypot != "")
	show(vote.SignalChallenge, a.ChallengeFailed)
	show(vote.SignalWebdriver, a.Webdriver)
	show(vote.SignalToolAgent, IsTool(a.UserAgent))
	tooFast := func(d time.Duration) bool { return d > 0 && d < pol.MinVoteTime }
	show(vote.SignalTooFast, tooFast(a.ChallengeAge) || tooFast(a.Elapsed))
	show(vote.SignalNoLanguage, !a.AcceptLanguage)
	show(vote.SignalSurge, a.Surging)
	return Decide(pol, signals)
}
