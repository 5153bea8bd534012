package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livevote/livevote/loadtest"
	"github.com/livevote/livevote/vote/votetest"
)

// TestLoadtestAccounting runs `livevote loadtest` for a few seconds against the real program (on
// the memory store and on Redis, with and without proof of work) and checks the accounting
// exactly: every acknowledged vote is recorded, nothing else is, no voter is acknowledged twice.
// It is a correctness test: it asserts no timing.
func TestLoadtestAccounting(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run of a few seconds")
	}
	for _, tc := range []struct {
		name       string
		redis      bool
		difficulty string
		rate       string
	}{
		{"memory", false, "0", "150"},
		{"redis", true, "0", "150"},
		{"redis with proof of work", true, "200", "50"},
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
			err := run(context.Background(), []string{"livevote", "loadtest", "-url", url, "-token", "tok",
				"-difficulty", tc.difficulty, "-rate", tc.rate, "-duration", "2s", "-conns", "8",
				"-dashboards", "3", "-hz", "10", "-revote", "0.1", "-json", report}, getenv(nil), &stdout, &stderr)
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

			// The server's own count, read independently of the tool: the poll is new, so every
			// ballot it holds is one the tool got a 201 for.
			req, _ := http.NewRequest("GET", url+"/api/v1/polls/"+r.Poll+"/results", nil)
			req.Header.Set("Authorization", "Bearer tok")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var counts struct{ Ballots, Held int64 }
			json.NewDecoder(res.Body).Decode(&counts)
			res.Body.Close()
			if counts.Ballots+counts.Held != r.Acked {
				t.Errorf("server holds %d counted + %d held ballots; the tool was acknowledged %d", counts.Ballots, counts.Held, r.Acked)
			}
			if !strings.Contains(stdout.String(), "check                    OK") {
				t.Errorf("the printed table has no OK check line")
			}
		})
	}
}
