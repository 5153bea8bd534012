package access

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
)

func TestSlidingLimiter(t *testing.T) {
	l := NewLimiter(3)
	t0 := time.Date(2023, 11, 20, 10, 30, 0, 0, time.UTC)
	for i := range 3 {
		if _, ok := l.Allow(l.Key("k"), t0.Add(time.Duration(i)*time.Second)); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	wait, ok := l.Allow(l.Key("k"), t0.Add(10*time.Second))
	if ok || wait < 50*time.Second || wait > 111*time.Second {
		t.Errorf("4th request in the minute: ok %v, wait %v; want refused, wait into the next minute", ok, wait)
	}
	if _, ok := l.Allow(l.Key("other"), t0.Add(10*time.Second)); !ok {
		t.Error("another key refused")
	}
	// 30 s into the next minute half of the 3 have slid out: one more fits (1.5 + 1 <= 3).
	if _, ok := l.Allow(l.Key("k"), t0.Add(90*time.Second)); !ok {
		t.Error("request 30 s into the next minute refused")
	}
	if _, ok := l.Allow(l.Key("k"), t0.Add(91*time.Second)); ok {
		t.Error("a second request 31 s into the next minute allowed (1.45 + 1 + 1 > 3)")
	}
	// Two minutes on, everything has slid out; old windows are swept.
	if _, ok := l.Allow(l.Key("k"), t0.Add(180*time.Second)); !ok {
		t.Error("request two minutes on refused")
	}
	if _, ok := l.windows[l.Key("other")]; ok {
		t.Error("a window two minutes old was kept")
	}
}

// TestSlidingLimiterBounded (issue 24): a flood of distinct sources never makes the limiter track
// more than its cap, and a minute after the flood it tracks none (the map is rebuilt, so its
// memory goes too: BenchmarkLimiterMemory measures it).
func TestSlidingLimiterBounded(t *testing.T) {
	l := NewLimiter(5)
	l.cap = 1000
	t0 := time.Date(2023, 11, 20, 10, 30, 0, 0, time.UTC)
	for i := range 5000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if _, ok := l.Allow(l.PrefixKey(RateSource(a)), t0); !ok {
			t.Fatalf("source %d refused", i)
		}
		if n := l.tracked(); n > 1000 {
			t.Fatalf("%d keys tracked, over the cap of 1000", n)
		}
	}
	l.Allow(l.Key("late"), t0.Add(2*time.Minute))
	if n := l.tracked(); n != 1 {
		t.Errorf("two minutes after the flood %d keys are tracked, want 1", n)
	}
}

// TestRateSource: the rate limits count an IPv6 address by its /64, an IPv4 one alone.
func TestRateSource(t *testing.T) {
	l := NewLimiter(1)
	k := func(s string) LimitKey { return l.PrefixKey(RateSource(netip.MustParseAddr(s))) }
	if k("2001:db8:1:2::1") != k("2001:db8:1:2:ffff::9") || k("2001:db8:1:2::1") == k("2001:db8:1:3::1") {
		t.Error("IPv6 sources are not their /64")
	}
	if k("192.0.2.1") == k("192.0.2.2") {
		t.Error("two IPv4 addresses are one source")
	}
}

// BenchmarkLimiterMemory (issue 24) counts one request of each of 200,000 distinct sources in the
// API's two limiters (per source, per client: a request without a cookie counts in both), lets
// two minutes pass and sweeps, and reports the heap they hold at the peak and after the cleanup
// (MB-peak, MB-after). Before the fix the map of windows kept its 200,000 entries' buckets
// after the sweep (about 63 MB through the whole server).
//
//	go test -run XX -bench LimiterMemory -benchtime 1x ./server/access/
func BenchmarkLimiterMemory(b *testing.B) {
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc) / (1 << 20)
	}
	for range b.N {
		base := heap()
		perSource, perClient := NewLimiter(6000), NewLimiter(600)
		t0 := time.Date(2023, 11, 20, 10, 30, 0, 0, time.UTC)
		for i := range 200_000 {
			src := RateSource(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
			perSource.Allow(perSource.PrefixKey(src), t0)
			perClient.Allow(perClient.PrefixKey(src), t0)
		}
		peak := heap() - base
		perSource.Allow(perSource.Key("after"), t0.Add(2*time.Minute))
		perClient.Allow(perClient.Key("after"), t0.Add(2*time.Minute))
		after := heap() - base
		b.ReportMetric(peak, "MB-peak")
		b.ReportMetric(after, "MB-after")
		runtime.KeepAlive(perSource)
		runtime.KeepAlive(perClient)
	}
}
