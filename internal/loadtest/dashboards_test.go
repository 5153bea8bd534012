package loadtest

import (
	"slices"
	"testing"
	"time"
)

// TestReportTicks: the tick figures count the readings by their "at", wherever their messages
// arrive relative to the window's end, and name the (dashboard, reading) pairs never delivered.
func TestReportTicks(t *testing.T) {
	from := time.Unix(1000, 0)
	to, settle := from.Add(time.Second), from.Add(2*time.Second)
	ms := func(d int64) int64 { return from.UnixNano() + d*int64(time.Millisecond) }
	ds := &dashboards{list: []*dashboard{
		// Every reading of the window, the last one arriving after the window's end: 3 in the
		// window by arrival, all 4 readings by "at". The reading before the window is not one.
		{msgs: []seen{{ms(-100), ms(10)}, {ms(100), ms(150)}, {ms(350), ms(400)}, {ms(600), ms(650)}, {ms(850), ms(1050)}}},
		// Missed the reading at 350 ms; got the one at 850 ms only after the settling time.
		{msgs: []seen{{ms(100), ms(120)}, {ms(600), ms(640)}, {ms(850), ms(2100)}}},
	}}
	r := ds.report(from, to, settle, nil, 4)
	if want := []int64{ms(100), ms(350), ms(600), ms(850)}; !slices.Equal(r.TickAt, want) {
		t.Errorf("TickAt %v, want %v", r.TickAt, want)
	}
	if r.Ticks != 4 || r.TickDeliveries != 6 || r.Undelivered != 2 {
		t.Errorf("ticks %d, delivered %d, undelivered %d; want 4, 6, 2", r.Ticks, r.TickDeliveries, r.Undelivered)
	}
	if r.Skipped != 0 {
		t.Errorf("%d ticks skipped, want 0", r.Skipped)
	}
	// Without the reading at 350 ms, one tick is skipped.
	ds.list[0].msgs = slices.Delete(ds.list[0].msgs, 2, 3)
	if r := ds.report(from, to, settle, nil, 4); r.Ticks != 3 || r.Skipped != 1 {
		t.Errorf("without the reading at 350 ms: %d ticks, %d skipped; want 3, 1", r.Ticks, r.Skipped)
	}
	if r.Messages != 6 {
		t.Errorf("messages in the window by arrival: %d, want 6", r.Messages)
	}
}
