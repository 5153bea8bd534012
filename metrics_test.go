package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/vote/votetest"
)

var metricsLine = regexp.MustCompile(`metrics on (http://\S+/metrics)`)

// scrape reads the metrics page.
func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// sample returns the value of the series (name and labels exactly as exposed), or -1.
func sample(page, series string) float64 {
	for line := range strings.Lines(page) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestMetrics runs the program with the memory store and checks its metrics: served on the
// metrics listener only, accepted by `promtool check metrics`, and the main series move with
// traffic (a vote, a refusal, a fraud signal, a live connection's requests).
func TestMetrics(t *testing.T) {
	url, metricsURL, stop := startWithMetrics(t, "results: live")
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("/metrics on the public listener = %d, want 404", res.StatusCode)
	}
	polls := scrape(t, url+"/api/v1/polls")
	id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(polls)[1]

	before := scrape(t, metricsURL)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	vote := func(body string) int {
		req, _ := http.NewRequest("POST", url+"/api/v1/polls/"+id+"/votes", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if res, err := c.Get(url + "/api/v1/polls/" + id); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	if got := vote(`{"choices":["a"]}`); got != 201 {
		t.Fatalf("vote = %d", got)
	}
	if got := vote(`{"choices":["b"]}`); got != 409 {
		t.Fatalf("second vote = %d", got)
	}

	var after string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		// The poll's gauges are sampled every 5 s, and set one after the other: a scrape may come
		// between the ballots' and the candidates'.
		after = scrape(t, metricsURL)
		if sample(after, `livevote_ballots{poll="`+id+`"}`) == 1 &&
			sample(after, `livevote_candidate_ballots{candidate="a",poll="`+id+`"}`) == 1 || time.Now().After(deadline) {
			break
		}
	}
	for _, tt := range []struct {
		series string
		delta  float64
	}{
		{`livevote_votes_total{poll="` + id + `",result="accepted"}`, 1},
		{`livevote_votes_total{poll="` + id + `",result="already_voted"}`, 1},
		{`livevote_vote_duration_seconds_count{poll="` + id + `"}`, 1},
		{`livevote_http_requests_total{code="201",method="POST",route="/api/v1/polls/:poll/votes"}`, 1},
		{`livevote_http_requests_total{code="409",method="POST",route="/api/v1/polls/:poll/votes"}`, 1},
		{`livevote_http_request_duration_seconds_count{method="POST",route="/api/v1/polls/:poll/votes"}`, 2},
		{`livevote_fraud_signals_total{signal="tool_agent"}`, 2}, // Go's HTTP client
		{`livevote_fraud_signals_total{signal="no_language"}`, 2},
		{`livevote_ballots{poll="` + id + `"}`, 1},
		{`livevote_candidate_ballots{candidate="a",poll="` + id + `"}`, 1},
	} {
		if d := max(sample(after, tt.series), 0) - max(sample(before, tt.series), 0); d != tt.delta {
			t.Errorf("%s moved by %v, want %v", tt.series, d, tt.delta)
		}
	}
	for _, series := range []string{
		`livevote_ws_connections{audience="public"}`, `livevote_ws_messages_total{audience="organiser"}`,
		`livevote_ws_evictions_total`, `livevote_ws_tick_seconds`, `livevote_ws_snapshot_read_seconds`,
		`livevote_store_up`, `livevote_fraud_held_pending{poll="` + id + `"}`, `livevote_poll_open{poll="` + id + `"}`,
		`livevote_fraud_top_subnet_share{poll="` + id + `"}`, `livevote_fraud_candidates_surging{poll="` + id + `"}`,
	} {
		if sample(after, series) < 0 {
			t.Errorf("no series %s", series)
		}
	}
	if v := sample(after, "livevote_store_up"); v != 1 {
		t.Errorf("livevote_store_up = %v, want 1", v)
	}
	if v := sample(after, `livevote_poll_open{poll="`+id+`"}`); v != 1 {
		t.Errorf("livevote_poll_open = %v, want 1", v)
	}
	if strings.Contains(after, "127.0.0.1") || strings.Contains(after, "lv_voter") {
		t.Errorf("the metrics name an address or a voter")
	}
	promtoolCheckMetrics(t, after)
	stop()
}

// startWithMetrics runs the program with the memory store on a ballot of one test poll (with the
// extra YAML lines) and returns its public and metrics URLs, and a function that stops it and
// reports run's error.
func startWithMetrics(t *testing.T, pollYAML ...string) (url, metricsURL string, stop func()) {
	t.Helper()
	ballot := filepath.Join(t.TempDir(), "ballot.yaml")
	os.WriteFile(ballot, []byte(votetest.PollYAML(pollYAML...)), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	out := newLineWriter()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"livevote", "-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, getenv(map[string]string{
			"LIVEVOTE_BALLOT": ballot, "LIVEVOTE_SECRET": "s", "LIVEVOTE_ADMIN_TOKEN": "t",
		}), out, io.Discard)
	}()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); metricsURL == ""; time.Sleep(10 * time.Millisecond) {
		printed := out.String()
		if m, n := servingLine.FindStringSubmatch(printed), metricsLine.FindStringSubmatch(printed); m != nil && n != nil {
			url, metricsURL = m[1], n[1]
		} else if time.Now().After(deadline) {
			stop()
			t.Fatalf("no addresses printed:\n%s", printed)
		}
	}
	return url, metricsURL, stop
}

// TestMetricsHiddenResults: with results hidden, after votes, no exposed series names a
// candidate (the tally must not leave the process while hidden: no counts, no velocity), and
// the per-poll surge gauge is there instead.
func TestMetricsHiddenResults(t *testing.T) {
	url, metricsURL, stop := startWithMetrics(t, "results: hidden")
	defer stop()
	id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(scrape(t, url+"/api/v1/polls"))[1]
	for _, choice := range []string{"a", "a", "b"} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		res, err := c.Get(url + "/api/v1/polls/" + id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = c.Post(url+"/api/v1/polls/"+id+"/votes", "application/json", strings.NewReader(`{"choices":["`+choice+`"]}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("vote = %d", res.StatusCode)
		}
	}
	var page string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		page = scrape(t, metricsURL) // the poll's gauges are sampled every 5 s
		if sample(page, `livevote_ballots{poll="`+id+`"}`) == 3 || time.Now().After(deadline) {
			break
		}
	}
	if v := sample(page, `livevote_ballots{poll="`+id+`"}`); v != 3 {
		t.Fatalf("livevote_ballots = %v, want 3 (not sampled yet?)", v)
	}
	for line := range strings.Lines(page) {
		if !strings.HasPrefix(line, "#") && strings.Contains(line, `candidate="`) {
			t.Errorf("a per-candidate series while results are hidden: %s", strings.TrimSpace(line))
		}
	}
	if v := sample(page, `livevote_fraud_candidates_surging{poll="`+id+`"}`); v != 0 {
		t.Errorf("livevote_fraud_candidates_surging = %v, want 0", v)
	}
}

// promtoolCheckMetrics runs `promtool check metrics` on a scrape when promtool is installed
// (Debian: prometheus); without it the check is skipped, or fails when LIVEVOTE_REQUIRE_PROMTOOL=1
// (as in CI).
func promtoolCheckMetrics(t *testing.T, page string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("LIVEVOTE_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("promtool not found and LIVEVOTE_REQUIRE_PROMTOOL=1")
		}
		t.Log("promtool not found: `promtool check metrics` skipped")
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(page)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}
