package main

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote/votetest"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// instance is one livevote process of a test deployment.
type instance struct {
	cmd *exec.Cmd
	url string
	out *lineWriter // what it printed
}

// deployment starts livevote processes of one deployment: one binary, ballot, Redis and secret.
type deployment struct {
	t      *testing.T
	bin    string
	ballot string
	redis  string
	poll   string
}

func newDeployment(t *testing.T, redisURL string) *deployment {
	t.Helper()
	d := &deployment{t: t, bin: filepath.Join(t.TempDir(), "livevote"), ballot: filepath.Join(t.TempDir(), "ballot.yaml"), redis: redisURL}
	if out, err := exec.Command("go", "build", "-o", d.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	os.WriteFile(d.ballot, []byte(votetest.PollYAML()), 0o600)
	return d
}

func (d *deployment) start() *instance {
	d.t.Helper()
	out := newLineWriter()
	cmd := exec.Command(d.bin, "-addr", "127.0.0.1:0", "-metrics-addr", "")
	cmd.Env = append(os.Environ(), "LIVEVOTE_REDIS_URL="+d.redis, "LIVEVOTE_BALLOT="+d.ballot,
		"LIVEVOTE_SECRET=checkpoint-test-secret", "LIVEVOTE_ADMIN_TOKEN=tok", "LIVEVOTE_RATE_LIMIT=0")
	cmd.Stdout, cmd.Stderr = out, io.Discard
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	in := &instance{cmd: cmd, url: out.waitAddr(d.t), out: out}
	if d.poll == "" {
		var list struct{ Polls []struct{ ID string } }
		in.getJSON(d.t, "/api/v1/polls", &list)
		d.poll = list.Polls[0].ID
	}
	return in
}

func (in *instance) get(t *testing.T, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", in.url+path, nil)
	req.Header.Set("Authorization", "Bearer tok")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", path, res.StatusCode, b)
	}
	return b
}

func (in *instance) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(in.get(t, path), v); err != nil {
		t.Fatal(err)
	}
}

// checkpoint returns the instance's latest checkpoint, signature checked, and its note.
func (in *instance) checkpoint(t *testing.T, poll, vkey string) (translog.Checkpoint, string) {
	t.Helper()
	b := in.get(t, "/api/v1/polls/"+poll+"/checkpoint")
	cp, err := translog.OpenCheckpoint(b, vkey)
	if err != nil {
		t.Fatalf("checkpoint %q: %v", b, err)
	}
	return cp, string(b)
}

// settle waits (30 s at most) until every instance's checkpoint is of the whole log (its sealed
// size, GET .../sealed, is the entries the audit counts) and returns them; it logs how long that
// took.
func settle(t *testing.T, d *deployment, vkey string, ins ...*instance) []string {
	t.Helper()
	start := time.Now()
	for {
		var audit struct{ Log struct{ Entries int64 } }
		ins[0].getJSON(t, "/api/v1/admin/polls/"+d.poll+"/audit", &audit)
		var notes []string
		done := true
		for _, in := range ins {
			var sealed struct {
				Sealed   int64 `json:"sealed_size"`
				TreeSize int64 `json:"tree_size"`
			}
			in.getJSON(t, "/api/v1/polls/"+d.poll+"/sealed?limit=0", &sealed)
			cp, note := in.checkpoint(t, d.poll, vkey)
			done = done && sealed.Sealed == audit.Log.Entries && cp.Size == sealed.TreeSize
			notes = append(notes, note)
		}
		if done {
			t.Logf("checkpoints of %d instance(s) at the log's %d entries after %v", len(ins), audit.Log.Entries, time.Since(start).Round(time.Millisecond))
			return notes
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("checkpoints did not reach the log's %d entries: %q", audit.Log.Entries, notes)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// consistent checks (with transparency-dev/merkle) that the checkpoint now extends old.
func consistent(t *testing.T, in *instance, poll string, old, now translog.Checkpoint) {
	t.Helper()
	var c struct{ Hashes []string }
	in.getJSON(t, fmt.Sprintf("/api/v1/polls/%s/consistency?from=%d&to=%d", poll, old.Size, now.Size), &c)
	hs := make([][]byte, len(c.Hashes))
	for i, h := range c.Hashes {
		hs[i], _ = base64.StdEncoding.DecodeString(h)
	}
	if err := proof.VerifyConsistency(rfc6962.New(crypto.SHA256), uint64(old.Size), uint64(now.Size), hs, old.Root[:], now.Root[:]); err != nil {
		t.Fatalf("checkpoint %d does not extend %d: %v", now.Size, old.Size, err)
	}
}

// TestCheckpointsAcrossInstancesKillAndRedisRestart: two instances on one Redis sign the same
// checkpoints; an instance killed with SIGKILL while ballots flow comes back with the same tree
// (every acknowledged ballot provable); a Redis restart (AOF) keeps the tree, and every later
// checkpoint extends the earlier ones; the export then passes `livevote verify`, a changed one
// does not.
func TestCheckpointsAcrossInstancesKillAndRedisRestart(t *testing.T) {
	rs := votetest.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	d := newDeployment(t, rs.URL())
	a, b := d.start(), d.start()
	vkey := strings.TrimSpace(string(a.get(t, "/api/v1/log-key")))
	if other := strings.TrimSpace(string(b.get(t, "/api/v1/log-key"))); other != vkey {
		t.Fatalf("two instances serve two keys: %s, %s", vkey, other)
	}
	if !strings.Contains(a.out.String(), "ballot log verifier key (GET /api/v1/log-key): "+vkey+"\n") {
		t.Errorf("the verifier key is not printed at start:\n%s", a.out.String())
	}

	// Both instances take ballots; their checkpoints are equal once both read the whole log.
	va, vb := streamVotes(t, a.url, d.poll, "a", 4), streamVotes(t, b.url, d.poll, "b", 4)
	for len(va.acked())+len(vb.acked()) < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	va.stop()
	vb.stop()
	notes := settle(t, d, vkey, a, b)
	if notes[0] != notes[1] {
		t.Fatalf("two instances at the same size signed\n%s\nand\n%s", notes[0], notes[1])
	}
	first, _ := a.checkpoint(t, d.poll, vkey)

	// kill -9 of a while ballots flow to it.
	va = streamVotes(t, a.url, d.poll, "c", 6)
	for len(va.acked()) < 150 {
		time.Sleep(5 * time.Millisecond)
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	acked := va.stop()
	a = d.start()
	notes = settle(t, d, vkey, a, b)
	if notes[0] != notes[1] {
		t.Fatalf("after kill -9, the restarted instance signed\n%s\nthe other\n%s", notes[0], notes[1])
	}
	afterKill, _ := a.checkpoint(t, d.poll, vkey)
	consistent(t, a, d.poll, first, afterKill)
	hasher := rfc6962.New(crypto.SHA256)
	for _, v := range acked[len(acked)-20:] {
		var inc translog.Inclusion
		a.getJSON(t, "/api/v1/receipts/"+v.receipt+"/proof", &inc)
		leaf, _ := base64.StdEncoding.DecodeString(inc.Leaf)
		hs := make([][]byte, len(inc.Hashes))
		for i, h := range inc.Hashes {
			hs[i], _ = base64.StdEncoding.DecodeString(h)
		}
		cp, err := translog.OpenCheckpoint([]byte(inc.Checkpoint), vkey)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyInclusion(hasher, uint64(inc.Index), uint64(inc.TreeSize), hasher.HashLeaf(leaf), hs, cp.Root[:]); err != nil {
			t.Fatalf("an acknowledged ballot's proof after kill -9: %v", err)
		}
	}

	// Redis restarts (SIGKILL; AOF fsync always); the instances reconnect and go on.
	rs.Kill()
	rs.Start()
	vb = streamVotes(t, b.url, d.poll, "a", 4)
	for len(vb.acked()) < 50 {
		time.Sleep(5 * time.Millisecond)
	}
	vb.stop()
	notes = settle(t, d, vkey, a, b)
	if notes[0] != notes[1] {
		t.Fatalf("after a Redis restart two instances signed\n%s\nand\n%s", notes[0], notes[1])
	}
	afterRedis, _ := b.checkpoint(t, d.poll, vkey)
	consistent(t, b, d.poll, afterKill, afterRedis)
	consistent(t, a, d.poll, first, afterRedis)

	// The export verifies offline; a changed one does not.
	export := filepath.Join(t.TempDir(), "export.json")
	body := a.get(t, "/api/v1/admin/polls/"+d.poll+"/export")
	os.WriteFile(export, body, 0o600)
	keptFile := filepath.Join(t.TempDir(), "kept.txt")
	_, keptNote := a.checkpoint(t, d.poll, vkey)
	os.WriteFile(keptFile, []byte(keptNote), 0o600)
	var out strings.Builder
	if err := run(context.Background(), []string{"livevote", "verify", "-key", vkey, "-kept", keptFile, export}, nil, &out, io.Discard); err != nil {
		t.Fatalf("verify of an untouched export: %v", err)
	}
	t.Logf("livevote verify:\n%s", out.String())
	changed := filepath.Join(t.TempDir(), "changed.json")
	os.WriteFile(changed, []byte(strings.Replace(string(body), `"b":`, `"b":1`, 1)), 0o600)
	err := run(context.Background(), []string{"livevote", "verify", "-key", vkey, changed}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "tally[b]") {
		t.Fatalf("verify of an export with a changed tally: %v", err)
	}
}

func TestVerifyCommandUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-key", "livevote+00000000+AQ"}, {"export.json"}} {
		var stderr strings.Builder
		err := run(context.Background(), append([]string{"livevote", "verify"}, args...), nil, io.Discard, &stderr)
		if err == nil || !strings.Contains(stderr.String(), "usage: livevote verify -key VKEY [-kept CHECKPOINT]... EXPORT.json") {
			t.Errorf("verify %q: %v, %q", args, err, stderr.String())
		}
	}
	err := run(context.Background(), []string{"livevote", "verify", "-key", "livevote+00000000+AQ", filepath.Join(t.TempDir(), "none.json")}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("verify of a missing file: %v", err)
	}
}
