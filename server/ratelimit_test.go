package server

import (
	"testing"
	"time"
)

func TestSlidingLimiter(t *testing.T) {
	l := newSlidingLimiter(3)
	t0 := time.Date(2023, 11, 20, 10, 30, 0, 0, time.UTC)
	for i := range 3 {
		if _, ok := l.allow("k", t0.Add(time.Duration(i)*time.Second)); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	wait, ok := l.allow("k", t0.Add(10*time.Second))
	if ok || wait < 50*time.Second || wait > 111*time.Second {
		t.Errorf("4th request in the minute: ok %v, wait %v; want refused, wait into the next minute", ok, wait)
	}
	if _, ok := l.allow("other", t0.Add(10*time.Second)); !ok {
		t.Error("another key refused")
	}
	// 30 s into the next minute half of the 3 have slid out: one more fits (1.5 + 1 <= 3).
	if _, ok := l.allow("k", t0.Add(90*time.Second)); !ok {
		t.Error("request 30 s into the next minute refused")
	}
	if _, ok := l.allow("k", t0.Add(91*time.Second)); ok {
		t.Error("a second request 31 s into the next minute allowed (1.45 + 1 + 1 > 3)")
	}
	// Two minutes on, everything has slid out; old windows are swept.
	if _, ok := l.allow("k", t0.Add(180*time.Second)); !ok {
		t.Error("request two minutes on refused")
	}
	if _, ok := l.windows["other"]; ok {
		t.Error("a window two minutes old was kept")
	}
}
