package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livevote/livevote/internal/apiclient"
	"github.com/livevote/livevote/internal/loadtest"
	"github.com/livevote/livevote/vote/votetest"
)

// TestLoadtestAccounting runs the load tool (cmd/loadtest's package internal/loadtest) for a few
// seconds against the real program (on the memory store and on Redis, with and without proof of
// work) and checks the accounting exactly: every acknowledged vote is recorded, nothing else is,
// no voter is acknowledged twice. It is a correctness test: it asserts no timing. It lives here,
// not beside the command, because it starts the server with this package's run.
func TestLoadtestAccounting(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run of a few seconds")
	}
	for _, tc := range []struct {
		name       string
		redis      bool
		difficulty string
		rate       string
		arrivals   string // the load tool's arrivals: a pool of 8 keep-alive connections, or phones
	}{
		{"memory", false, "0", "150", "-conns=8"},
		{"redis", true, "0", "150", "-conns=8"},
		{"redis with proof of work", true, "200", "50", "-conns=8"},
		{"redis, phones with proof of work", true, "200", "50", "-phones"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"LIVEVOTE_RATE_LIMIT": "0", "LIVEVOTE_ADMIN_TOKEN": "tok", "LIVEVOTE_SECRET": "load-test-secret"}
			if tc.redis {
				env["LIVEVOTE_REDIS_URL"] = votetest.RedisURL(t)
			}
			ballot := filepath.Join(t.TempDir(), "ballot.yaml")
			if err := os.WriteFile(ballot, []byte(votetest.PollYAML()), 0o600); err != nil {
				t.Fatal(err)
			}
			env["LIVEVOTE_BALLOT"] = ballot
			ctx, cancel := context.WithCancel(context.Background())
			out := newLineWriter()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"livevote", "-addr", "127.0.0.1:0", "-metrics-addr", ""}, getenv(env), out, io.Discard)
			}()
			t.Cleanup(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("server: %v", err)
				}
			})
			url := out.waitAddr(t)

			report := filepath.Join(t.TempDir(), "report.json")
			var stdout, stderr bytes.Buffer
			err := loadtest.Run(context.Background(), []string{"-url", url, "-token", "tok",
				"-difficulty", tc.difficulty, "-rate", tc.rate, "-duration", "2s", tc.arrivals,
				"-dashboards", "3", "-hz", "10", "-revote", "0.1", "-json", report}, &stdout, &stderr)
			t.Logf("loadtest:\n%s", stdout.String())
			if err != nil {
				t.Fatalf("loadtest: %v\n%s", err, stderr.String())
			}
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var r loadtest.Report
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if !r.Checked || !r.CheckOK {
				t.Errorf("accounting check: checked %v, ok %v: %s", r.Checked, r.CheckOK, r.Check)
			}
			if r.Acked == 0 || r.Acked != r.Sent || r.Unknown != 0 || len(r.Errors) != 0 {
				t.Errorf("sent %d, acknowledged %d, unknown %d, errors %v; want every vote acknowledged", r.Sent, r.Acked, r.Unknown, r.Errors)
			}
			if r.DoubleAcks != 0 || r.DupReceipts != 0 || r.Revotes == 0 || r.RevoteRefused != r.Revotes {
				t.Errorf("revotes %d, refused %d, acknowledged twice %d, repeated receipts %d", r.Revotes, r.RevoteRefused, r.DoubleAcks, r.DupReceipts)
			}
			if r.Dash.Connected != 3 || r.Dash.Lost != 0 || r.Dash.MessagesAll < 3 || r.Dash.SeqGaps != 0 {
				t.Errorf("dashboards: %+v", r.Dash)
			}

			// The server's own count, read after the tool is done: the poll is new, so every
			// ballot it holds is one the tool got a 201 for.
			org, err := apiclient.New(url, apiclient.Options{Token: "tok"})
			if err != nil {
				t.Fatal(err)
			}
			counts, err := org.Results(context.Background(), r.Poll)
			if err != nil {
				t.Fatal(err)
			}
			if counts.Recorded() != r.Acked {
				t.Errorf("server holds %d counted + %d held ballots; the tool was acknowledged %d", counts.Counted, counts.Held, r.Acked)
			}
			if !strings.Contains(stdout.String(), "check                    OK") {
				t.Errorf("the printed table has no OK check line")
			}
		})
	}
}
