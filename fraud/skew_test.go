package fraud_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

func count(n int64, tally map[string]int64) vote.ChoiceCount {
	return vote.ChoiceCount{Ballots: n, Tally: tally}
}

// TestSkewExact checks the test's arithmetic against sums done by hand.
func TestSkewExact(t *testing.T) {
	for _, tt := range []struct {
		name       string
		src, rest  vote.ChoiceCount
		candidates int
		want       float64
	}{
		// 8 of 10 against 2 of 10: (C(10,8)C(10,2) + C(10,9)C(10,1) + 1) / C(20,10) = 2126/184756,
		// times 2 (both tails of one candidate)
		{"8 of 10 vs 2 of 10", count(10, map[string]int64{"a": 8}), count(10, map[string]int64{"a": 2}), 1, 2 * 2126.0 / 184756},
		// too few is as far as too many: 2 of 10 against 8 of 10, the same sum (the lower tail)
		{"2 of 10 vs 8 of 10", count(10, map[string]int64{"a": 2}), count(10, map[string]int64{"a": 8}), 1, 2 * 2126.0 / 184756},
		// the same, Bonferroni over both tails of 3 candidates
		{"three candidates", count(10, map[string]int64{"a": 8}), count(10, map[string]int64{"a": 2}), 3, 6 * 2126.0 / 184756},
		// none of 30 for a candidate the rest chose 10 times of 20: C(10,0)C(40,30)/C(50,30) (the
		// source chose nothing the rest did not: only the lower tail is small)
		{"none for the leader", count(30, nil), count(20, map[string]int64{"a": 10}), 1, 2 * math.Exp(lc(40, 30)-lc(50, 30))},
		// 20 of 20 against 1 in 15 of 1500: C(120,20)/C(1520,20), about 1e-22
		{"a farm of 20", count(20, map[string]int64{"a": 20}), count(1500, map[string]int64{"a": 100}), 1, 2 * math.Exp(lc(120, 20)-lc(1520, 20))},
		{"five of nothing chosen", count(5, nil), count(100, map[string]int64{"a": 50}), 15, 1},
	} {
		got := fraud.Skew(tt.src, tt.rest, tt.candidates)
		if math.Abs(got-tt.want) > 1e-9*tt.want {
			t.Errorf("%s: score %g, want %g", tt.name, got, tt.want)
		}
	}
}

func lc(n, k float64) float64 {
	a, _ := math.Lgamma(n + 1)
	b, _ := math.Lgamma(k + 1)
	c, _ := math.Lgamma(n - k + 1)
	return a - b - c
}

// TestSkewFalsePositives draws honest sources from the poll's own distribution (15 candidates,
// one leading) and counts how often the test calls them skewed or keeps them from clear: at most
// the stated rates (with the seeds fixed, the counts are what they are; the bounds are the
// test's promises).
func TestSkewFalsePositives(t *testing.T) {
	pol := vote.DefaultFraudPolicy()
	shares := []float64{0.25, 0.12, 0.1, 0.08, 0.07, 0.06, 0.05, 0.05, 0.04, 0.04, 0.04, 0.03, 0.03, 0.02, 0.02}
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"}
	r := rand.New(rand.NewPCG(1, 2))
	draw := func(n int64) vote.ChoiceCount {
		c := vote.ChoiceCount{Ballots: n, Tally: map[string]int64{}}
		for range n {
			x, i := r.Float64(), 0
			for ; i < len(shares)-1 && x >= shares[i]; i++ {
				x -= shares[i]
			}
			c.Tally[ids[i]]++
		}
		return c
	}
	const sources = 4000
	skewed, unclear := 0, 0
	for i := range sources {
		n := int64(20 + i%300)                                                                             // sources of 20 to 320 ballots: a venue, a campus
		j, _ := fraud.JudgeSource(pol, draw(n), draw(3000), len(ids), fraud.RestMinBallots, math.MaxInt64) // the test alone, no tolerance
		switch j {
		case fraud.Skewed:
			skewed++
		case fraud.Undecided:
			unclear++
		}
	}
	if skewed > 0 {
		t.Errorf("%d of %d honest sources skewed (alpha 1e-6 each)", skewed, sources)
	}
	if rate := float64(unclear) / sources; rate > fraud.ClearAlpha {
		t.Errorf("%.4f of honest sources not clear, want at most %g", rate, fraud.ClearAlpha)
	}
	t.Logf("%d honest sources: %d skewed, %d not yet clear", sources, skewed, unclear)
}

// TestSkewFarms: a source of at least SkewMinBallots that votes mostly for one candidate is
// skewed, even for the poll's leading candidate; one of fewer ballots is undecided, never clear.
func TestSkewFarms(t *testing.T) {
	pol := vote.DefaultFraudPolicy()
	rest := count(3000, map[string]int64{"a": 750, "b": 360, "c": 300, "d": 240, "o": 60})
	for _, tt := range []struct {
		name string
		src  vote.ChoiceCount
		want fraud.Judgement
	}{
		{"20 for a small candidate", count(20, map[string]int64{"o": 20}), fraud.Skewed},
		{"20 for the leader", count(20, map[string]int64{"a": 20}), fraud.Skewed},
		{"40, 80% for a small one", count(40, map[string]int64{"o": 32, "a": 8}), fraud.Skewed},
		{"3 for a small candidate", count(3, map[string]int64{"o": 3}), fraud.Undecided},
		{"19 for a small candidate", count(19, map[string]int64{"o": 19}), fraud.Undecided},
		{"a household of 2", count(2, map[string]int64{"d": 2}), fraud.Clear},
		{"80 like the rest but none for the leader", count(80, map[string]int64{"b": 30, "c": 8, "d": 6, "o": 2}), fraud.Skewed},
		{"30 like the rest but none for the leader", count(30, map[string]int64{"b": 11, "c": 3, "d": 3, "o": 1}), fraud.Undecided},
		{"like the rest", count(40, map[string]int64{"a": 10, "b": 5, "c": 4, "d": 3, "o": 1}), fraud.Clear},
	} {
		if got, score := fraud.JudgeSource(pol, tt.src, rest, 15, fraud.RestMinBallots, math.MaxInt64); got != tt.want {
			t.Errorf("%s: %s (score %g), want %s", tt.name, got, score, tt.want)
		}
	}
	if got, _ := fraud.JudgeSource(pol, count(30, map[string]int64{"a": 8}), count(40, nil), 15, fraud.RestMinBallots, math.MaxInt64); got != fraud.Undecided {
		t.Errorf("against a rest of 40 ballots: %s, want undecided", got)
	}
}

// TestReference: a source is compared with the rest of the poll in the hour less what is held and
// what the caller leaves out, or, when that has fewer than RestMinBallots, with the poll's counted
// ballots less the source.
func TestReference(t *testing.T) {
	src := count(10, map[string]int64{"a": 10})
	for _, tt := range []struct {
		name     string
		cc       vote.ChoiceCounts
		excluded []vote.ChoiceCount
		want     string
	}{
		{"the hour", vote.ChoiceCounts{Poll: count(200, map[string]int64{"a": 50, "b": 150}), Held: count(30, map[string]int64{"a": 30}),
			Total: count(5000, map[string]int64{"a": 2500, "b": 2500})}, nil, "160 map[a:10 b:150]"},
		{"the hour, less what is left out", vote.ChoiceCounts{Poll: count(200, map[string]int64{"a": 50, "b": 150})},
			[]vote.ChoiceCount{count(20, map[string]int64{"b": 20})}, "170 map[a:40 b:130]"},
		{"a cold start: the poll's counted ballots", vote.ChoiceCounts{Poll: count(50, map[string]int64{"a": 20, "b": 30}),
			Total: count(3000, map[string]int64{"a": 1000, "b": 2000})}, nil, "2990 map[a:990 b:2000]"},
		{"a cold start of a new poll: the hour, small as it is", vote.ChoiceCounts{Poll: count(40, map[string]int64{"a": 20, "b": 20}),
			Total: count(25, map[string]int64{"a": 5, "b": 20})}, nil, "30 map[a:10 b:20]"},
	} {
		ref := fraud.Reference(tt.cc, src, tt.excluded...)
		if got := fmt.Sprint(ref.Ballots, " ", ref.Tally); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestPower: the fewest ballots from which a source that never chose the leader is not clear,
// against a product computed term by term: P(none of n draws chose the leader) =
// prod_{i<n} (m - r + n - i) / (m + n - i).
func TestPower(t *testing.T) {
	for _, tt := range []struct {
		m, r       int64
		candidates int
	}{{1000, 220, 15}, {3000, 750, 15}, {60, 30, 4}, {5000, 400, 15}} {
		rest := count(tt.m, map[string]int64{"a": tt.r, "b": min((tt.m-tt.r)/2, tt.r-1)})
		got := fraud.Power(rest, tt.candidates)
		var want int64
		for n := int64(1); ; n++ {
			p := 1.0
			for i := range n {
				p *= float64(tt.m-tt.r+n-i) / float64(tt.m+n-i)
			}
			if p*float64(2*tt.candidates) < fraud.ClearAlpha {
				want = n
				break
			}
		}
		if got != want {
			t.Errorf("leader %d of %d, %d candidates: power %d, want %d", tt.r, tt.m, tt.candidates, got, want)
		}
		// and the test agrees: a source of that many, none for the leader, is not clear
		if j, _ := fraud.JudgeSource(vote.DefaultFraudPolicy(), count(got, map[string]int64{"b": got}), rest, tt.candidates, fraud.RestMinBallots, math.MaxInt64); j == fraud.Clear {
			t.Errorf("leader %d of %d: a source of %d without the leader is clear", tt.r, tt.m, got)
		}
	}
	if got := fraud.Power(count(0, nil), 15); got < 1<<40 {
		t.Errorf("an empty rest: power %d, want none", got)
	}
}
