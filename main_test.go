package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livevote/livevote/vote/votetest"
)

// lineWriter collects what the program prints and finds the address it serves on.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  chan string
	found bool // the address was sent on addr (once: waitAddr puts it back itself)
}

var servingLine = regexp.MustCompile(`serving \d+ poll\(s\) on (http://\S+)`)

func newLineWriter() *lineWriter { return &lineWriter{addr: make(chan string, 1)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := servingLine.FindSubmatch(w.buf.Bytes()); m != nil && !w.found {
		w.found = true
		w.addr <- string(m[1])
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitAddr returns the URL the program serves on, once it said so.
func (w *lineWriter) waitAddr(t *testing.T) string {
	t.Helper()
	select {
	case a := <-w.addr:
		a = strings.Replace(a, "[::]", "127.0.0.1", 1)
		w.addr <- a
		return a
	case <-time.After(20 * time.Second):
		t.Fatalf("the program did not start serving; it printed:\n%s", w.String())
		return ""
	}
}

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRunServesBuiltinBallotAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := newLineWriter(), newLineWriter()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"livevote", "-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, getenv(nil), out, errs)
	}()
	url := out.waitAddr(t)
	res, err := http.Get(url + "/api/v1/polls/guangzhou-2023")
	if err != nil {
		t.Fatal(err)
	}
	var poll struct {
		ID         string
		Status     string
		Results    string
		Candidates []struct{ ID string }
	}
	json.NewDecoder(res.Body).Decode(&poll)
	res.Body.Close()
	if poll.ID != "guangzhou-2023" || poll.Status != "open" || poll.Results != "hidden" || len(poll.Candidates) != 15 {
		t.Errorf("built-in poll = %+v", poll)
	}
	if !strings.Contains(out.String(), "generated organiser token") {
		t.Errorf("no generated token printed:\n%s", out)
	}
	if !strings.Contains(out.String(), "the memory store's ballot logs start afresh: this run's logs are named livevote/run-") {
		t.Errorf("the memory store's log name is not said at start:\n%s", out)
	}
	for _, want := range []string{"in-memory store", "LIVEVOTE_SECRET is not set", "LIVEVOTE_PUBLIC_URL is not set"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("start-up log lacks %q:\n%s", want, errs)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

// TestLogNameSetting: a log name C2SP would not take is refused, the error naming the setting;
// with the memory store every start names its logs afresh (and says so), so that no start signs
// a history inconsistent with a log an earlier start signed.
func TestLogNameSetting(t *testing.T) {
	for _, name := range []string{"vote example", "vote+example", ""} {
		_, err := parseConfig([]string{"-log-name", name}, getenv(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "LIVEVOTE_LOG_NAME (-log-name)") || strings.Contains(err.Error(), "malformed verifier id") {
			t.Errorf("log name %q: %v", name, err)
		}
	}
	cfg, err := parseConfig([]string{"-log-name", "vote.example.org"}, getenv(map[string]string{"LIVEVOTE_SECRET": "s"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	k1, err1 := deriveLogKey(cfg, start)
	k2, err2 := deriveLogKey(cfg, start)
	if err1 != nil || err2 != nil || k1.Name() == k2.Name() || !strings.HasPrefix(k1.Name(), "vote.example.org/run-20261201T100000Z-") {
		t.Errorf("memory store: two starts name their logs %q and %q (%v, %v)", k1.Name(), k2.Name(), err1, err2)
	}
	cfg.RedisURL = "redis://x:6379"
	if k, err := deriveLogKey(cfg, start); err != nil || k.Name() != "vote.example.org" {
		t.Errorf("Redis: log name %q, %v", k.Name(), err)
	}
}

func TestRunRejectsBadBallotFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ballot.yaml")
	os.WriteFile(path, []byte("polls: [{id: x, title: {en: X}}]"), 0o600)
	err := run(context.Background(), []string{"livevote", "-ballot", path}, getenv(nil), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "poll x: title") {
		t.Errorf("run with a bad ballot = %v", err)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	cfg, err := parseConfig([]string{"-addr", ":1", "-rate-limit", "7"}, getenv(map[string]string{
		"LIVEVOTE_ADDR": ":2", "LIVEVOTE_REDIS_URL": "redis://x:6379", "LIVEVOTE_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16", "LIVEVOTE_RATE_LIMIT": "9",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":1" || cfg.RedisURL != "redis://x:6379" || cfg.RateLimit != 7 || fmt.Sprint(cfg.TrustedProxies) != "[10.0.0.1 10.1.0.0/16]" {
		t.Errorf("config = %+v", cfg)
	}
}

// TestKill9KeepsAckedBallots kills the server process (SIGKILL) after N acknowledged ballots,
// starts it again on the same Redis, and finds N ballots, with dedup still holding.
func TestKill9KeepsAckedBallots(t *testing.T) {
	rs := votetest.StartRedis(t, "--appendonly", "yes", "--appendfsync", "everysec")
	bin := filepath.Join(t.TempDir(), "livevote")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ballot := filepath.Join(t.TempDir(), "ballot.yaml")
	os.WriteFile(ballot, []byte(votetest.PollYAML()), 0o600)
	start := func() (*exec.Cmd, string) {
		out := newLineWriter()
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-metrics-addr", "")
		cmd.Env = append(os.Environ(), "LIVEVOTE_REDIS_URL="+rs.URL(), "LIVEVOTE_BALLOT="+ballot,
			"LIVEVOTE_SECRET=kill-test-secret", "LIVEVOTE_ADMIN_TOKEN=tok", "LIVEVOTE_RATE_LIMIT=0")
		cmd.Stdout, cmd.Stderr = out, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, out.waitAddr(t)
	}
	cmd, url := start()
	var pollID string
	{
		res, err := http.Get(url + "/api/v1/polls")
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Polls []struct{ ID string } }
		json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		pollID = list.Polls[0].ID
	}
	// Voters vote as fast as they can; the process is killed while they do.
	votes := streamVotes(t, url, pollID, "a", 8)
	for len(votes.acked()) < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	acked := votes.stop()
	n := len(acked)

	_, url = start()
	req, _ := http.NewRequest("GET", url+"/api/v1/polls/"+pollID+"/results", nil)
	req.Header.Set("Authorization", "Bearer tok")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var results struct{ Ballots int }
	json.NewDecoder(res.Body).Decode(&results)
	res.Body.Close()
	// Every acknowledged ballot is there; the 8 voters may each have had one more ballot recorded
	// whose answer the kill cut off.
	if results.Ballots < n || results.Ballots > n+8 {
		t.Fatalf("after kill -9 and restart: %d ballots, %d acknowledged", results.Ballots, n)
	}
	for _, v := range acked[:20] {
		c := v.client
		res, err := c.Post(url+"/api/v1/polls/"+pollID+"/votes", "application/json", strings.NewReader(`{"choices":["b"]}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(bufio.NewReader(res.Body))
		res.Body.Close()
		if res.StatusCode != 409 {
			t.Errorf("an acknowledged voter voted again after the restart: %d %s", res.StatusCode, b)
		}
	}
	t.Logf("%d ballots acknowledged before kill -9, %d counted after restart", n, results.Ballots)
}

// ackedVote is a ballot the server acknowledged, and the voter (browser) that cast it.
type ackedVote struct {
	client  *http.Client
	receipt string
}

// voteStream is voters voting as fast as they can, each a new browser with its own cookies.
type voteStream struct {
	mu    sync.Mutex
	votes []ackedVote
	quit  chan struct{}
	wg    sync.WaitGroup
}

// streamVotes starts workers goroutines that each, until stopped or until the server stops
// answering, open the poll (for a voter cookie) and vote for choice. A vote answered 5xx fails t.
func streamVotes(t *testing.T, url, poll, choice string, workers int) *voteStream {
	vs := &voteStream{quit: make(chan struct{})}
	for range workers {
		vs.wg.Go(func() {
			for {
				select {
				case <-vs.quit:
					return
				default:
				}
				jar, _ := cookiejar.New(nil)
				c := &http.Client{Jar: jar, Timeout: 5 * time.Second}
				res, err := c.Get(url + "/api/v1/polls/" + poll)
				if err != nil {
					return // the server stopped accepting
				}
				res.Body.Close()
				res, err = c.Post(url+"/api/v1/polls/"+poll+"/votes", "application/json", strings.NewReader(`{"choices":["`+choice+`"]}`))
				if err != nil {
					return
				}
				var body struct{ Receipt string }
				json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				switch {
				case res.StatusCode == 201:
					vs.mu.Lock()
					vs.votes = append(vs.votes, ackedVote{client: c, receipt: body.Receipt})
					vs.mu.Unlock()
				case res.StatusCode >= 500:
					t.Errorf("vote answered %d", res.StatusCode)
				}
			}
		})
	}
	return vs
}

// acked returns the votes acknowledged so far.
func (vs *voteStream) acked() []ackedVote {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return append([]ackedVote(nil), vs.votes...)
}

// stop stops the voters, waits for them and returns every acknowledged vote.
func (vs *voteStream) stop() []ackedVote {
	close(vs.quit)
	vs.wg.Wait()
	return vs.acked()
}
