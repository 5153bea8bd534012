package fraud_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote/votetest"
)

// feed runs a poll of candidates a, b and c for the given minutes at the given ballots a minute
// each (rates are per candidate: a, b, c), sampling every 5 s, and returns the estimator.
func feed(t *testing.T, v *fraud.Velocity, start time.Time, tally map[string]int64, phases ...struct {
	minutes int
	rates   [3]float64
}) time.Time {
	t.Helper()
	at := start
	acc := map[string]float64{}
	for _, ph := range phases {
		for range ph.minutes * 12 {
			at = at.Add(5 * time.Second)
			for i, id := range []string{"a", "b", "c"} {
				acc[id] += ph.rates[i] / 12
				tally[id] = int64(acc[id])
			}
			v.Observe(at, tally)
		}
	}
	return at
}

type phase = struct {
	minutes int
	rates   [3]float64
}

func TestVelocity(t *testing.T) {
	p := votetest.Poll(t)
	start := time.Date(2023, 11, 20, 10, 0, 0, 0, time.UTC)
	surging := func(v *fraud.Velocity) string {
		var out []string
		for _, r := range v.Rates() {
			if r.Surging {
				out = append(out, r.Candidate)
			}
		}
		return fmt.Sprint(out)
	}
	for _, tt := range []struct {
		name   string
		phases []phase
		want   string
	}{
		{"steady", []phase{{20, [3]float64{10, 20, 5}}}, "[]"},
		{"one candidate stuffed", []phase{{20, [3]float64{10, 10, 10}}, {2, [3]float64{200, 10, 10}}}, "[a]"},
		{"everyone rushes at the ceremony", []phase{{20, [3]float64{10, 10, 10}}, {2, [3]float64{100, 100, 100}}}, "[]"},
		{"a surge too small to count", []phase{{20, [3]float64{1, 1, 1}}, {2, [3]float64{20, 1, 1}}}, "[]"},
		{"no history yet (warm-up)", []phase{{3, [3]float64{10, 10, 10}}, {2, [3]float64{300, 10, 10}}}, "[]"},
		{"from a standing start, one candidate only", []phase{{10, [3]float64{0, 0, 0}}, {2, [3]float64{60, 0, 0}}}, "[a]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := fraud.NewVelocity(p)
			feed(t, v, start, map[string]int64{}, tt.phases...)
			if got := surging(v); got != tt.want {
				t.Errorf("surging %s, want %s; rates %+v", got, tt.want, v.Rates())
			}
			if n, want := v.SurgingCount(), strings.Count(tt.want, "a"); n != want {
				t.Errorf("SurgingCount() = %d, want %d", n, want)
			}
			for _, c := range []string{"a", "b", "c"} {
				if v.Surging([]string{c}) != (tt.want == "[a]" && c == "a") {
					t.Errorf("Surging(%s) = %v", c, v.Surging([]string{c}))
				}
			}
		})
	}

	v := fraud.NewVelocity(p)
	feed(t, v, start, map[string]int64{}, phase{20, [3]float64{10, 10, 10}}, phase{1, [3]float64{200, 10, 10}})
	r := v.Rates()[0]
	if r.Candidate != "a" || r.PerMinute < 190 || r.PerMinute > 210 || r.Baseline < 9 || r.Baseline > 12 || r.Ratio < 15 {
		t.Errorf("rate of a = %+v, want about 200 a minute against a baseline of 10", r)
	}
	if n := testing.AllocsPerRun(100, func() { v.Surging([]string{"b", "a"}) }); n != 0 {
		t.Errorf("Surging allocates %v times", n)
	}
	// Samples out of order are ignored.
	v.Observe(start, map[string]int64{"a": 1e9})
	if got := v.Rates()[0]; got != r {
		t.Errorf("an old sample changed the rates: %+v", got)
	}
}
