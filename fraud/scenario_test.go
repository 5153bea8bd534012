package fraud_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/redisstore"
	"github.com/livevote/livevote/vote/votetest"
)

// scenarioStore is what the scenario needs of a store.
type scenarioStore interface {
	vote.Ballots
	vote.States
	vote.Records
	vote.Sources
	fraud.PendingStore
}

// TestScenario is issue 12's evening, measured (README.md, "Fraud signals", the table): an honest
// venue of 400 phones behind one address, unconfigured; 3,000 honest voters elsewhere (carrier
// NATs and home lines); a farm on 48 addresses in two /24s voting for one candidate in three
// styles; and a farm of careful bots spread over 150 /24s of one /16, one or two ballots each,
// found only by its group (the /16 with the same headers). Every ballot goes through the vote
// workflow (vote.Booth with fraud.Judge) to the store, and the pending ballots are settled every
// 2 s (fraud.Settle, as the server's sampler does), on a simulated clock: the numbers do not
// depend on the machine.
func TestScenario(t *testing.T) { onEachStore(t, runScenario) }

// onEachStore runs test on a memory store and on a Redis store (LIVEVOTE_TEST_REDIS, or a private
// redis-server).
func onEachStore(t *testing.T, test func(t *testing.T, st scenarioStore)) {
	t.Run("memory", func(t *testing.T) { test(t, memstore.New()) })
	t.Run("redis", func(t *testing.T) {
		s, err := redisstore.Open(context.Background(), votetest.RedisURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		test(t, s)
	})
}

// A scenario's voter kinds.
const (
	kindVenue   = "venue"
	kindCarrier = "carrier"
	kindHome    = "home"
	kindScript  = "farm: script"
	kindNoLang  = "farm: browser, no language"
	kindCareful = "farm: careful"
	kindSpread  = "farm: spread"
	// camouflaged farms: a phone's headers and a person's pace, choices like the crowd's but
	// none for the leader and the leader's share for a target (the second)
	kindCamoIP    = "farm: camouflaged, one address"
	kindCamoFew   = "farm: camouflaged, 4 addresses"
	kindCamo16    = "farm: camouflaged, a /16"
	kindCamoSlow  = "farm: camouflaged, slow"
	kindResidents = "farm: residential proxies"
)

// kindOrder lists the scenario's kinds in the table's order.
var kindOrder = []string{kindVenue, kindCarrier, kindHome, kindScript, kindNoLang, kindCareful, kindSpread,
	kindCamoIP, kindCamoFew, kindCamo16, kindCamoSlow, kindResidents}

// camouflaged reports whether a kind is one of the farms that vote like the crowd but for the
// leader and their target: the margin they move is what they are judged by.
func camouflaged(kind string) bool {
	return kind == kindCamoIP || kind == kindCamoFew || kind == kindCamo16 || kind == kindCamoSlow || kind == kindResidents
}

// attempt is one vote of the scenario.
type attempt struct {
	at           time.Duration // from the start
	kind         string
	ip, net, grp string
	choice       string
	req          vote.Attempt
}

// groupOf is the scenario's group of a voter of the /16 sixteen who sends req's headers (the
// server hashes the /16, the User-Agent and the Accept-Language value; every voter here that
// sends a language sends the same one).
func groupOf(sixteen string, req vote.Attempt) string {
	return fmt.Sprintf("%s:%x:%v", sixteen, sha256.Sum256([]byte(req.UserAgent)), req.AcceptLanguage)[:len(sixteen)+18]
}

func (a attempt) farm() bool { return strings.HasPrefix(a.kind, "farm") }

// scenario builds the evening's attempts, in time order, for a poll of candidates ids.
func scenario(ids []string) []attempt {
	r := rand.New(rand.NewPCG(12, 2023))
	// the honest preference: a few leaders and a long tail, as the rest of a real poll
	weights := []float64{22, 12, 10, 8, 7, 6, 6, 5, 5, 4, 4, 3, 3, 3, 2}
	draw := func(weights []float64) string {
		total := 0.0
		for _, w := range weights {
			total += w
		}
		x := r.Float64() * total
		for i, w := range weights {
			if x < w {
				return ids[i]
			}
			x -= w
		}
		return ids[len(ids)-1]
	}
	honest := func() string { return draw(weights) }
	// a camouflaged farm's choices: the crowd's, with the leader's share given to the target
	camo := slices.Clone(weights)
	camo[1], camo[0] = camo[1]+camo[0], 0
	disguised := func() string { return draw(camo) }
	phone := vote.Attempt{AcceptLanguage: true, UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"}
	person := func() vote.Attempt {
		a := phone
		a.Elapsed = time.Duration(5+r.IntN(55)) * time.Second
		return a
	}
	const span = 15 * time.Minute
	var out []attempt
	// the venue: 400 phones behind the hall's one address, in five minutes of the ceremony
	for range 400 {
		at := 5*time.Minute + time.Duration(r.Int64N(int64(5*time.Minute)))
		req := person()
		out = append(out, attempt{at, kindVenue, "venue", "venue/24", groupOf("venue/16", req), honest(), req})
	}
	// carriers: 2,100 phones behind 4 NAT pools (/24) of 50 addresses each, of one /16, all evening
	for range 2100 {
		pool, req := r.IntN(4), person()
		out = append(out, attempt{time.Duration(r.Int64N(int64(span))), kindCarrier,
			fmt.Sprintf("carrier%d.%d", pool, r.IntN(50)), fmt.Sprintf("carrier%d/24", pool), groupOf("carrier/16", req), honest(), req})
	}
	// home lines: 900 voters, each on a line of one of 2,000 residential /24s (50 to a /16)
	for range 900 {
		net, req := r.IntN(2000), person()
		out = append(out, attempt{time.Duration(r.Int64N(int64(span))), kindHome,
			fmt.Sprintf("home%d.%d", net, r.IntN(250)), fmt.Sprintf("home%d/24", net), groupOf(fmt.Sprintf("home%d/16", net/50), req), honest(), req})
	}
	// the farm: 48 addresses in two /24s, every ballot for the same small candidate, fresh
	// cookies each time
	target := ids[13]
	farmAddr := func() (string, string) {
		net := r.IntN(2)
		return fmt.Sprintf("farm%d.%d", net, r.IntN(24)), fmt.Sprintf("farm%d/24", net)
	}
	for i, style := range []struct {
		kind string
		n    int
		req  func() vote.Attempt
	}{
		{kindScript, 200, func() vote.Attempt { return vote.Attempt{UserAgent: "python-requests/2.31.0"} }},
		{kindNoLang, 200, func() vote.Attempt {
			return vote.Attempt{UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/119.0 Safari/537.36"}
		}},
		{kindCareful, 400, person}, // a phone's headers, a language, a person's reading time
	} {
		for range style.n {
			ip, net := farmAddr()
			// the styles take turns: scripts first, then browsers, the careful ones all evening
			at := time.Duration(r.Int64N(int64(span)))
			if i < 2 {
				at = time.Duration(i)*5*time.Minute + time.Duration(r.Int64N(int64(5*time.Minute)))
			}
			req := style.req()
			out = append(out, attempt{at, style.kind, ip, net, groupOf("farm/16", req), target, req})
		}
	}
	// the spread farm: careful bots on 150 /24s of one /16, one or two ballots from each, all
	// evening: every ballot the first or second of its address and its /24
	for net := range 150 {
		for range 1 + r.IntN(2) {
			req := person()
			out = append(out, attempt{time.Duration(r.Int64N(int64(span))), kindSpread,
				fmt.Sprintf("spread%d.%d", net, r.IntN(250)), fmt.Sprintf("spread%d/24", net), groupOf("spread/16", req), target, req})
		}
	}
	// camouflaged farms, each with a phone's headers and a language, a fresh cookie per ballot, a
	// person's reading time, their ballots shuffled over the evening in bursts (paced: one every
	// 1 to 3 s in a burst)
	burst := func(from time.Duration, n int) []time.Duration {
		var at []time.Duration
		t := from
		for range n {
			t += time.Duration(1000+r.IntN(2000)) * time.Millisecond
			at = append(at, t)
		}
		return at
	}
	// one address: 60 ballots in two minutes, then 200 more a few minutes later
	for _, at := range append(burst(2*time.Minute, 60), burst(7*time.Minute, 200)...) {
		req := person()
		out = append(out, attempt{at, kindCamoIP, "camo", "camo/24", groupOf("camo/16", req), disguised(), req})
	}
	// a few addresses: 4 addresses in two /24s, 260 ballots in four bursts
	for i := range 4 {
		for _, at := range burst(time.Duration(1+3*i)*time.Minute, 65) {
			req, a := person(), r.IntN(4)
			out = append(out, attempt{at, kindCamoFew, fmt.Sprintf("few%d", a), fmt.Sprintf("few%d/24", a/2), groupOf("few/16", req), disguised(), req})
		}
	}
	// a /16: 300 ballots, each from an address of one of 200 /24s of one /16, all evening
	for range 300 {
		req, net := person(), r.IntN(200)
		out = append(out, attempt{time.Duration(r.Int64N(int64(span))), kindCamo16,
			fmt.Sprintf("camo16-%d.%d", net, r.IntN(250)), fmt.Sprintf("camo16-%d/24", net), groupOf("camo16/16", req), disguised(), req})
	}
	// slow: one address, 30 ballots over the evening, under the test's power until the close
	for range 30 {
		req := person()
		out = append(out, attempt{time.Duration(r.Int64N(int64(span))), kindCamoSlow, "slow", "slow/24", groupOf("slow/16", req), disguised(), req})
	}
	// residential proxies: 300 ballots, each from another network (its own /16) with another
	// browser's headers, all evening: every ballot the first of its address, subnet and group
	for i := range 300 {
		req := person()
		req.UserAgent = fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; Pixel %d) Chrome/%d.0 Mobile Safari/537.36", 10+i%5, 4+i%4, 110+i%12)
		out = append(out, attempt{time.Duration(r.Int64N(int64(span))), kindResidents,
			fmt.Sprintf("res%d.1", i), fmt.Sprintf("res%d/24", i), groupOf(fmt.Sprintf("res%d/16", i), req), disguised(), req})
	}
	slices.SortStableFunc(out, func(a, b attempt) int { return cmp.Compare(a.at, b.at) })
	return out
}

// outcome is what became of one kind's ballots.
type outcome struct {
	cast, refused, counted, held int
	margin                       int             // counted ballots for the camouflaged farms' target less those for the leader
	public                       []time.Duration // time from the 201 to the public count
	reasons                      map[vote.Signal]int
}

// builtinPoll returns the built-in poll under an id of its own (its own keys in a shared Redis),
// open, with the default fraud policy (unconfigured).
func builtinPoll(t *testing.T, st scenarioStore) vote.Poll {
	t.Helper()
	polls, err := ballotfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p := *polls[0]
	p.ID = fmt.Sprintf("scenario-%x", rand.Uint64())
	p.Fraud = vote.DefaultFraudPolicy()
	if _, err := st.SetStatus(context.Background(), &p, vote.StatusOpen); err != nil {
		t.Fatal(err)
	}
	return p
}

func runScenario(t *testing.T, st scenarioStore) {
	ctx := context.Background()
	p := builtinPoll(t, st)
	ids := make([]string, len(p.Candidates))
	for i, c := range p.Candidates {
		ids[i] = c.ID
	}
	start := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)
	now := start
	booth := &vote.Booth{
		Ballots: st,
		State: func(context.Context, *vote.Poll) (vote.State, error) {
			return vote.State{Status: vote.StatusOpen, Results: vote.ResultsHidden}, nil
		},
		Judge: fraud.New(fraud.Config{}),
		Now:   func() time.Time { return now },
	}

	const settleEvery = 2 * time.Second
	nextSettle := start.Add(settleEvery)
	settle := func(until time.Time) {
		for ; !nextSettle.After(until); nextSettle = nextSettle.Add(settleEvery) {
			if _, err := fraud.Settle(ctx, st, &p, nextSettle); err != nil {
				t.Fatal(err)
			}
		}
	}
	kinds := map[string]*outcome{}
	type castBallot struct {
		kind   string
		at     time.Time
		choice string
	}
	ballots := map[string]castBallot{}
	for i, a := range scenario(ids) {
		settle(start.Add(a.at))
		now = start.Add(a.at)
		o := kinds[a.kind]
		if o == nil {
			o = &outcome{reasons: map[vote.Signal]int{}}
			kinds[a.kind] = o
		}
		res, err := booth.Cast(ctx, vote.Request{Poll: &p, Voter: fmt.Sprintf("voter-%d", i), Choices: []string{a.choice},
			From: vote.Origin{IP: a.ip, Subnet: a.net, Group: a.grp}, Attempt: a.req})
		o.cast++
		if err != nil {
			if errors.Is(err, vote.ErrUnavailable) {
				t.Fatal(err)
			}
			o.refused++
			continue
		}
		ballots[res.Receipt] = castBallot{a.kind, now.Truncate(time.Millisecond), a.choice}
	}
	settle(now.Add(30 * time.Second)) // the last ballots' passes
	// what the organiser's "new networks" shows at the end of voting (README.md, "Many networks")
	if arrivals, err := st.Arrivals(ctx, &p, now, fraud.NewcomerMinutes); err != nil {
		t.Fatal(err)
	} else {
		nc := fraud.Newcomers(&p, arrivals)
		t.Logf("new networks, the last %d minutes: %d ballots, %d new (%.0f%%)", fraud.NewcomerMinutes, nc.Ballots, nc.New, 100*nc.Usual)
		for _, c := range nc.Candidates {
			if c.Flagged || c.Candidate == ids[0] || c.Candidate == ids[1] {
				t.Logf("  %-12s %4d ballots, %3d new (%.0f%%), score %.1g, marked %v", c.Candidate, c.Ballots, c.New, 100*c.Share, c.Score, c.Flagged)
			}
			// the residential farm's target stands out; no honest candidate does
			if c.Flagged != (c.Candidate == ids[1]) {
				t.Errorf("new networks: %s marked %v, want only the residential farm's target marked", c.Candidate, c.Flagged)
			}
		}
	}
	waiting, err := st.Pending(ctx, &p, 100000)
	if err != nil {
		t.Fatal(err)
	}
	// the close: the last pass decides every pending ballot
	if _, err := fraud.SettleClosed(ctx, st, &p, nextSettle); err != nil {
		t.Fatal(err)
	}
	if left, err := st.Pending(ctx, &p, 1); err != nil || len(left) > 0 {
		t.Fatalf("after the close: %d pending, %v; want none", len(left), err)
	}

	// What became of each ballot: the log (counted at once, or released when), then what stays held.
	public := publicAt(t, st, &p)
	held, err := st.Held(ctx, &p, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for id, b := range ballots {
		o := kinds[b.kind]
		if at, ok := public[id]; ok {
			o.counted++
			o.public = append(o.public, at.Sub(b.at))
			switch b.choice {
			case ids[1]:
				o.margin++
			case ids[0]:
				o.margin--
			}
		}
	}
	for _, h := range held {
		o := kinds[ballots[h.ID].kind]
		o.held++
		o.reasons[fraud.HeldFor(p.Fraud, h.Signals)]++
	}

	// The table (README.md, "Fraud signals"), and the targets.
	var honest, honestHeld, honestRefused, farm, farmCounted int
	t.Logf("%d ballots were pending when voting ended (before the close's pass)", len(waiting))
	t.Logf("%-32s %6s %8s %8s %6s %14s %10s %12s  %s", "voters", "cast", "refused", "counted", "held", "margin moved", "public p50", "public p99", "held by (the deciding signal)")
	for _, k := range kindOrder {
		o := kinds[k]
		if o.counted+o.held != o.cast-o.refused {
			t.Errorf("%s: %d counted and %d held of %d recorded", k, o.counted, o.held, o.cast-o.refused)
		}
		slices.Sort(o.public)
		p50, p99 := "-", "-"
		if len(o.public) > 0 {
			p50, p99 = o.public[(len(o.public)+1)/2-1].String(), o.public[(len(o.public)*99+99)/100-1].String()
		}
		var reasons []string
		for _, s := range vote.Signals {
			if n := o.reasons[s]; n > 0 {
				reasons = append(reasons, fmt.Sprintf("%s %d", s, n))
			}
		}
		moved := "-"
		if camouflaged(k) {
			moved = fmt.Sprintf("%+d (%.1f%%)", o.margin, 100*float64(o.margin)/float64(o.cast))
		}
		t.Logf("%-32s %6d %8d %8d %6d %14s %10s %12s  %s", k, o.cast, o.refused, o.counted, o.held, moved, p50, p99, strings.Join(reasons, ", "))
		switch {
		case k == kindResidents: // no per-source trace: printed, not judged (README.md, "Many networks")
		case k == kindCamoSlow: // too small for 1%: the budget's bound, a few ballots an hour
			if o.margin > fraud.BudgetMargin+1 {
				t.Errorf("%s: moved the margin by %d, want at most the budget's %d", k, o.margin, fraud.BudgetMargin+1)
			}
		case camouflaged(k):
			if float64(o.margin) > 0.01*float64(o.cast) {
				t.Errorf("%s: moved the margin by %d of its %d ballots, want at most 1%%", k, o.margin, o.cast)
			}
		case strings.HasPrefix(k, "farm"):
			farm, farmCounted = farm+o.cast, farmCounted+o.counted
			if float64(o.counted) > 0.01*float64(o.cast) {
				t.Errorf("%s: %d of %d ballots counted, want at most 1%%", k, o.counted, o.cast)
			}
		default:
			honest, honestHeld, honestRefused = honest+o.cast, honestHeld+o.held, honestRefused+o.refused
		}
	}
	t.Logf("honest: %d, held %d (%.2f%%), refused %d; older farms: %d, counted %d (%.2f%%)", honest, honestHeld,
		100*float64(honestHeld)/float64(honest), honestRefused, farm, farmCounted, 100*float64(farmCounted)/float64(farm))
	if honestRefused != 0 {
		t.Errorf("%d honest ballots refused, want 0", honestRefused)
	}
	if float64(honestHeld) > 0.005*float64(honest) {
		t.Errorf("%d of %d honest ballots held, want at most 0.5%%", honestHeld, honest)
	}
	if float64(farmCounted) > 0.01*float64(farm) {
		t.Errorf("%d of %d farm ballots counted, want at most 1%%", farmCounted, farm)
	}
	if v := kinds[kindVenue]; v.held > 0 || v.public[(len(v.public)*99+99)/100-1] > 10*time.Second {
		t.Errorf("venue: %d held, p99 to the public count %v; want none held, within 10 s", v.held, v.public[(len(v.public)*99+99)/100-1])
	}
}

// publicAt reads p's log: when each ballot became public, counted when it was recorded or
// released (by the system: an organiser released nothing here) later.
func publicAt(t *testing.T, st scenarioStore, p *vote.Poll) map[string]time.Time {
	t.Helper()
	public := map[string]time.Time{}
	for after := ""; ; {
		page, err := st.Log(context.Background(), p, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return public
		}
		for _, e := range page {
			switch e.State {
			case vote.BallotCounted:
				public[e.Receipt] = e.At
			case vote.BallotReleased:
				if e.By != vote.ReleasedBy {
					t.Errorf("release of %s by %q, want the system's", e.Receipt, e.By)
				}
				public[e.Receipt] = e.At
			}
		}
		after = page[len(page)-1].ID
	}
}
