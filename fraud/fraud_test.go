package fraud_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// browser is an attempt from an ordinary phone browser by a person: no signal at all.
func browser() vote.Attempt {
	return vote.Attempt{
		ChallengeAge:   8 * time.Second,
		Elapsed:        9 * time.Second,
		AcceptLanguage: true,
		UserAgent:      "Mozilla/5.0 (Linux; Android 13; CUBOT P60) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
	}
}

// TestJudge: each signal alone, and the verdict it leads to under the default policy.
func TestJudge(t *testing.T) {
	pol := vote.DefaultFraudPolicy()
	tests := []struct {
		name    string
		change  func(a *vote.Attempt)
		signals string
		action  vote.Action
		err     error
	}{
		{"a person", func(*vote.Attempt) {}, "[]", vote.Accept, nil},
		{"honeypot filled", func(a *vote.Attempt) { a.Honeypot = "http://spam.example" }, "[honeypot]", vote.Refuse, vote.ErrChallengeFailed},
		{"challenge failed", func(a *vote.Attempt) { a.ChallengeFailed = true }, "[challenge]", vote.Refuse, vote.ErrChallengeFailed},
		{"webdriver", func(a *vote.Attempt) { a.Webdriver = true }, "[webdriver]", vote.Hold, nil},
		{"curl", func(a *vote.Attempt) { a.UserAgent = "curl/8.5.0" }, "[tool_agent]", vote.Hold, nil},
		{"no user agent", func(a *vote.Attempt) { a.UserAgent = "" }, "[tool_agent]", vote.Hold, nil},
		{"headless chrome", func(a *vote.Attempt) {
			a.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"
		}, "[tool_agent]", vote.Hold, nil},
		{"too fast after the challenge", func(a *vote.Attempt) { a.ChallengeAge = 300 * time.Millisecond }, "[too_fast]", vote.Accept, nil},
		{"too fast as the page says", func(a *vote.Attempt) { a.Elapsed = time.Second }, "[too_fast]", vote.Accept, nil},
		{"no challenge, no page report: not too fast", func(a *vote.Attempt) { a.ChallengeAge, a.Elapsed = 0, 0 }, "[]", vote.Accept, nil},
		{"no Accept-Language", func(a *vote.Attempt) { a.AcceptLanguage = false }, "[no_language]", vote.Accept, nil},
		{"surging candidate", func(a *vote.Attempt) { a.Surging = true }, "[velocity]", vote.Accept, nil},
		{"two weak signals hold", func(a *vote.Attempt) { a.AcceptLanguage, a.ChallengeAge = false, time.Second }, "[too_fast no_language]", vote.Hold, nil},
		{"the scripted attacker", func(a *vote.Attempt) {
			a.UserAgent, a.AcceptLanguage, a.ChallengeAge, a.Elapsed = "python-requests/2.31", false, 20*time.Millisecond, 0
		}, "[tool_agent too_fast no_language]", vote.Hold, nil},
		{"definite beats everything", func(a *vote.Attempt) { a.Webdriver, a.Honeypot, a.UserAgent = true, "x", "curl/8" }, "[honeypot webdriver tool_agent]", vote.Refuse, vote.ErrChallengeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := browser()
			tt.change(&a)
			v := fraud.Judge(pol, a)
			if fmt.Sprint(v.Signals) != tt.signals || v.Action != tt.action || !errors.Is(fraud.Refusal(v), tt.err) || (tt.err == nil) != (fraud.Refusal(v) == nil) {
				t.Errorf("verdict = %v %s (reason %q, err %v); want %s %s (err %v)", v.Signals, v.Action, v.Reason, fraud.Refusal(v), tt.signals, tt.action, tt.err)
			}
			if (v.Action == vote.Accept) != (v.Reason == "") {
				t.Errorf("action %s with reason %q", v.Action, v.Reason)
			}
		})
	}
}

// TestJudgePolicy: the policy's switches change the verdict, not the signals.
func TestJudgePolicy(t *testing.T) {
	curl := browser()
	curl.UserAgent = "curl/8"
	weak2 := browser()
	weak2.AcceptLanguage, weak2.Surging = false, true
	honeypot := browser()
	honeypot.Honeypot = "x"
	noHold := vote.DefaultFraudPolicy()
	noHold.Hold = false
	weak3 := vote.DefaultFraudPolicy()
	weak3.WeakToHold = 3
	weakNever := vote.DefaultFraudPolicy()
	weakNever.WeakToHold = 0
	slow := vote.DefaultFraudPolicy()
	slow.MinVoteTime = 10 * time.Second // the "person" of browser() takes 8-9 s
	for _, tt := range []struct {
		name   string
		pol    vote.FraudPolicy
		a      vote.Attempt
		action vote.Action
	}{
		{"hold off: a tool is accepted", noHold, curl, vote.Accept},
		{"hold off: the honeypot still refuses", noHold, honeypot, vote.Refuse},
		{"three weak signals needed", weak3, weak2, vote.Accept},
		{"weak signals never hold", weakNever, weak2, vote.Accept},
		{"min vote time 10 s", slow, browser(), vote.Accept}, // one weak signal
	} {
		t.Run(tt.name, func(t *testing.T) {
			if v := fraud.Judge(tt.pol, tt.a); v.Action != tt.action || len(v.Signals) == 0 {
				t.Errorf("verdict %s %v, want %s", v.Action, v.Signals, tt.action)
			}
		})
	}
	if v := fraud.Judge(slow, browser()); fmt.Sprint(v.Signals) != "[too_fast]" {
		t.Errorf("min vote time 10 s: signals %v", v.Signals)
	}
}

// TestSources: caps for the store, and the source signals and verdict from its counts.
func TestSources(t *testing.T) {
	pol := vote.DefaultFraudPolicy()
	pol.IPHardCap = 500
	if c := fraud.Caps(pol, false); c != (vote.SourceCaps{IPMinute: 20, IPHour: 100, SubnetMinute: 100, SubnetHour: 1000, IPHard: 500, Shared: true}) {
		t.Errorf("caps = %+v", c)
	}
	if c := fraud.Caps(pol, true); c != (vote.SourceCaps{}) {
		t.Errorf("caps of a trusted subnet = %+v, want none", c)
	}
	noHold := pol
	noHold.Hold = false
	if c := fraud.Caps(noHold, false); c != (vote.SourceCaps{IPHard: 500}) {
		t.Errorf("caps when the policy does not hold = %+v, want the hard cap only", c)
	}

	person := fraud.Judge(pol, browser())
	for _, tt := range []struct {
		name    string
		trusted bool
		counts  vote.SourceCounts
		held    bool
		signals string
		action  vote.Action
	}{
		{"a household", false, vote.SourceCounts{IPMinute: 3, IPHour: 5, SubnetMinute: 4, SubnetHour: 9}, false, "[]", vote.Accept},
		{"at the caps", false, vote.SourceCounts{IPMinute: 20, IPHour: 100, SubnetMinute: 100, SubnetHour: 1000}, false, "[]", vote.Accept},
		{"IP over a minute's cap", false, vote.SourceCounts{IPMinute: 21, IPHour: 21, SubnetMinute: 21, SubnetHour: 21}, true, "[ip_minute]", vote.Hold},
		{"IP over an hour's cap", false, vote.SourceCounts{IPMinute: 2, IPHour: 101, SubnetMinute: 2, SubnetHour: 101}, true, "[ip_hour]", vote.Hold},
		{"subnet over both", false, vote.SourceCounts{IPMinute: 1, IPHour: 1, SubnetMinute: 101, SubnetHour: 1001}, true, "[subnet_minute subnet_hour]", vote.Hold},
		{"the venue, trusted", true, vote.SourceCounts{IPMinute: 400, IPHour: 500, SubnetMinute: 400, SubnetHour: 500}, false, "[]", vote.Accept},
		{"a shared source, pending", false, vote.SourceCounts{IPMinute: 2, IPHour: 2, SubnetMinute: 2, SubnetHour: 2}, true, "[shared_source]", vote.Hold},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := vote.Counted{Counts: tt.counts, Held: tt.held, Shared: tt.signals == "[shared_source]"}
			v := fraud.WithSource(person, pol, tt.trusted, src)
			if fmt.Sprint(v.Signals) != tt.signals || v.Action != tt.action {
				t.Errorf("verdict %v %s, want %s %s", v.Signals, v.Action, tt.signals, tt.action)
			}
			if fraud.Pends(v) != (tt.action == vote.Hold) {
				t.Errorf("pends = %v: held for its source alone, it waits for the choice test", fraud.Pends(v))
			}
			if got := fmt.Sprint(fraud.SourceSignals(pol, tt.trusted, src)); got != tt.signals {
				t.Errorf("SourceSignals = %s", got)
			}
		})
	}
	// The source signals merge into the attempt's in their order; a refusal at the cap.
	curl := browser()
	curl.UserAgent, curl.AcceptLanguage = "Wget/1.21", false
	v := fraud.WithSource(fraud.Judge(pol, curl), pol, false, vote.Counted{Counts: vote.SourceCounts{IPMinute: 30}, Held: true})
	if fmt.Sprint(v.Signals) != "[tool_agent ip_minute no_language]" || v.Action != vote.Hold || v.Reason != vote.SignalToolAgent || fraud.Pends(v) {
		t.Errorf("tool over the IP cap = %v %s %s", v.Signals, v.Action, v.Reason)
	}
	v = fraud.WithCap(fraud.Judge(pol, curl))
	if fmt.Sprint(v.Signals) != "[ip_cap tool_agent no_language]" || v.Action != vote.Refuse || !errors.Is(fraud.Refusal(v), vote.ErrSourceCapped) {
		t.Errorf("at the hard cap = %v %s %v", v.Signals, v.Action, fraud.Refusal(v))
	}
}

func TestIsTool(t *testing.T) {
	for ua, want := range map[string]bool{
		"":                     true,
		"curl/7.88.1":          true,
		"Wget/1.21.3":          true,
		"python-requests/2.31": true,
		"Python-urllib/3.11":   true,
		"Go-http-client/1.1":   true,
		"okhttp/4.12.0":        true,
		"Java/17.0.2":          true,
		"axios/1.6.2":          true,
		"PostmanRuntime/7.36":  true,
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)":                                                                true,
		"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)":                                                     true,
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.0 Safari/537.36":                        true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1": false,
		"Mozilla/5.0 (Linux; Android 13; CUBOT P60) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36":                     false,
		"Mozilla/5.0 (Linux; Android 12; V2118A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0 Mobile Safari/537.36 MicroMessenger/8.0.44":  false,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0":                                                        false,
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0":         false,
	} {
		if got := fraud.IsTool(ua); got != want {
			t.Errorf("IsTool(%q) = %v, want %v", ua, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { fraud.IsTool(browser().UserAgent) }); n != 0 {
		t.Errorf("IsTool allocates %v times", n)
	}
}

func BenchmarkJudge(b *testing.B) {
	a, pol := browser(), vote.DefaultFraudPolicy()
	for b.Loop() {
		fraud.Judge(pol, a)
	}
}

// TestNewcomers: a candidate far more of whose ballots come from networks new in the hour than
// the poll's share of them is marked; one at the poll's share, or with too few, is not.
func TestNewcomers(t *testing.T) {
	p := &vote.Poll{Candidates: []vote.Candidate{{ID: "a"}, {ID: "b"}, {ID: "c"}}}
	cc := func(n int64, tally map[string]int64) vote.ChoiceCount {
		return vote.ChoiceCount{Ballots: n, Tally: tally}
	}
	var arrivals []vote.Arrivals
	for range 15 { // 20 honest ballots a minute, a tenth from new networks; 4 more for b, all new
		arrivals = append(arrivals, vote.Arrivals{All: cc(24, map[string]int64{"a": 10, "b": 10, "c": 4}), New: cc(6, map[string]int64{"a": 1, "b": 5})})
	}
	got := fraud.Newcomers(p, arrivals)
	if got.Ballots != 360 || got.New != 90 || got.Usual != 0.25 {
		t.Errorf("%d ballots, %d new, usual %g; want 360, 90, 0.25", got.Ballots, got.New, got.Usual)
	}
	// b: 75 of 150 against 15 of 210: Fisher's upper tail, times 3, far under 1e-3
	want := []string{"a 150 15 0.1 false", "b 150 75 0.5 true", "c 60 0 0 false"}
	for i, c := range got.Candidates {
		if s := fmt.Sprintf("%s %d %d %.3g %v", c.Candidate, c.Ballots, c.New, c.Share, c.Flagged); s != want[i] {
			t.Errorf("candidate %d: %s (score %g), want %s", i, s, c.Score, want[i])
		}
	}
	if b := got.Candidates[1].Score; !(b > 0 && b < 1e-10) {
		t.Errorf("b's score %g, want far under 1e-3", b)
	}
	// the same shares with a tenth of the ballots: 7 new for b are too few to mark
	small := []vote.Arrivals{{All: cc(36, map[string]int64{"a": 15, "b": 15, "c": 6}), New: cc(9, map[string]int64{"a": 2, "b": 7})}}
	if c := fraud.Newcomers(p, small).Candidates[1]; c.Flagged {
		t.Errorf("b with %d new of %d: marked, want not (fewer than %d)", c.New, c.Ballots, fraud.NewcomerMinBallots)
	}
}
