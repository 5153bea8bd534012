package monitoring_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// exposed returns the names of every series livevote exposes (histograms with their suffixes).
func exposed(t *testing.T) map[string]bool {
	up := true
	m, reg, p := newMetrics(t, &up)
	m.Request("/", "GET", 200, time.Millisecond)
	m.Poll(vote.Snapshot{Poll: p.ID, State: vote.State{Results: vote.ResultsLive}, Tally: map[string]int64{"a": 1}})
	m.Fraud(p.ID, 0, 0)
	m.LiveRefused("full")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{"up": true}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			names[mf.GetName()+suffix] = true
		}
	}
	return names
}

var metricName = regexp.MustCompile(`\blivevote_[a-z_]+\b`)

// TestOpsFilesUseExposedMetrics: every metric the alert rules and the dashboard name exists.
func TestOpsFilesUseExposedMetrics(t *testing.T) {
	names := exposed(t)
	rules, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	raw, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	exprs := map[string]string{"alerts.yml": string(rules)}
	graphs := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs["dashboard panel "+p.Title] += tg.Expr + "\n"
			graphs++
		}
	}
	if graphs < 20 {
		t.Errorf("the dashboard has %d queries", graphs)
	}
	for where, text := range exprs {
		for _, name := range metricName.FindAllString(text, -1) {
			if !names[name] {
				t.Errorf("%s uses %s, which livevote does not expose", where, name)
			}
		}
	}
}

// TestPromtool checks the rules, their unit tests and the Prometheus configuration with promtool
// when it is installed (Debian: prometheus); without it the test is skipped, or fails when
// LIVEVOTE_REQUIRE_PROMTOOL=1 (as in CI).
func TestPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("LIVEVOTE_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("promtool not found and LIVEVOTE_REQUIRE_PROMTOOL=1")
		}
		t.Skip("promtool not found")
	}
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		var out bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out.String())
		}
	}
}
