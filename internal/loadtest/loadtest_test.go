package loadtest

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/internal/apiclient"
)

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 10_000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.9, 9 * time.Millisecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}} {
		got := h.quantile(c.q)
		if d := float64(got-c.want) / float64(c.want); d < 0 || d > 1.0/histSub {
			t.Errorf("quantile(%v) = %s, want %s to %.1f%% above", c.q, got, c.want, 100.0/histSub)
		}
	}
	if h.max != 10*time.Millisecond || h.n != 10_000 {
		t.Errorf("max %s, n %d", h.max, h.n)
	}
	var empty histogram
	if empty.quantile(0.99) != 0 {
		t.Error("an empty histogram has a quantile")
	}
	for _, d := range []time.Duration{0, 1, 63, 64, 65, 127, 128, 1 << 40} {
		if i := bucket(d); lowest(i) > d || (i+1 < len(h.counts) && lowest(i+1) <= d) {
			t.Errorf("bucket(%d) = %d covers [%d, %d)", d, i, lowest(i), lowest(i+1))
		}
	}
}

func TestJSONString(t *testing.T) {
	body := []byte(`{"status":"accepted","receipt":"r123","choices":["a"]}`)
	if got := string(jsonString(body, "receipt")); got != "r123" {
		t.Errorf("receipt = %q", got)
	}
	if jsonString(body, "code") != nil {
		t.Error("found a field that is not there")
	}
}

func TestParseRefusesRemoteTargets(t *testing.T) {
	for _, url := range []string{"http://192.0.2.1:8080", "https://127.0.0.1:8080", "127.0.0.1:8080"} {
		if _, err := parse([]string{"-url", url, "-token", "x"}, io.Discard); err == nil {
			t.Errorf("-url %s accepted", url)
		}
	}
	c, err := parse([]string{"-url", "http://localhost:9", "-token", "x"}, io.Discard)
	if err != nil || c.addr != "localhost:9" {
		t.Errorf("parse localhost = %+v, %v", c, err)
	}
	if _, err := parse([]string{"-rate", "10"}, io.Discard); err == nil || !strings.Contains(err.Error(), "-token") {
		t.Errorf("a vote run without the organiser token: %v", err)
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		r    Report
		ok   bool
	}{
		{"exact", Report{Acked: 10, Before: apiclient.Counts{Ballots: 5, Counted: 5}, After: apiclient.Counts{Ballots: 15, Counted: 12, Held: 3}}, true},
		{"one too many recorded", Report{Acked: 10, After: apiclient.Counts{Ballots: 11}}, false},
		{"one missing", Report{Acked: 10, After: apiclient.Counts{Ballots: 9}}, false},
		{"unknown outcome", Report{Acked: 10, Unknown: 1, After: apiclient.Counts{Ballots: 10}}, false},
		{"double acknowledgement", Report{Acked: 10, DoubleAcks: 1, After: apiclient.Counts{Ballots: 10}}, false},
		{"repeated receipt", Report{Acked: 10, DupReceipts: 1, After: apiclient.Counts{Ballots: 10}}, false},
	} {
		c.r.check()
		if !c.r.Checked || c.r.CheckOK != c.ok {
			t.Errorf("%s: ok %v (%s), want %v", c.name, c.r.CheckOK, c.r.Check, c.ok)
		}
	}
}
