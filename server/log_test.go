package server_test

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

const (
	operatorToken = "operator-secret"
	auditorToken  = "auditor-secret"
)

// withRoles gives the server an operator and an auditor token.
func withRoles() option {
	return func(c *server.Config) { c.OperatorToken, c.AuditorToken = operatorToken, auditorToken }
}

// proofOf waits (a few seconds at most) until the receipt's proof is in a checkpoint.
func (e *env) proofOf(receipt string) translog.Inclusion {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.anonymous().get("/api/v1/receipts/" + receipt + "/proof")
		if r.Status == 200 {
			var inc translog.Inclusion
			if err := json.Unmarshal(r.Body, &inc); err != nil {
				e.t.Fatal(err)
			}
			return inc
		}
		if r.Status != 202 || string(r.Body) != `{"status":"pending"}` || time.Now().After(deadline) {
			e.t.Fatalf("proof of %s = %d %s", receipt, r.Status, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decode64(t *testing.T, ss []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// TestReceiptProof: a voter's proof verifies (transparency-dev/merkle) against the checkpoint
// signed by the served key, and later checkpoints are consistent with it.
func TestReceiptProof(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		vkey := strings.TrimSpace(string(e.anonymous().mustGet("/api/v1/log-key", 200).Body))
		hasher := rfc6962.New(crypto.SHA256)
		receipt := e.voter().mustVote("b")
		inc := e.proofOf(receipt)
		cp, err := translog.OpenCheckpoint([]byte(inc.Checkpoint), vkey)
		if err != nil {
			t.Fatalf("the proof's checkpoint does not open with the served key: %v", err)
		}
		leaf, _ := base64.StdEncoding.DecodeString(inc.Leaf)
		want := fmt.Sprintf(`{"type":"ballot","receipt_hash":"%s","at":`, translog.ReceiptHash(receipt))
		if !strings.HasPrefix(string(leaf), want) || !strings.HasSuffix(string(leaf), `,"choices":["b"]}`) {
			t.Errorf("leaf = %s", leaf)
		}
		if inc.Poll != e.Poll.ID || cp.Size != inc.TreeSize || !strings.HasSuffix(cp.Origin, "/"+e.Poll.ID) {
			t.Errorf("proof %+v, checkpoint %+v", inc, cp)
		}
		if err := proof.VerifyInclusion(hasher, uint64(inc.Index), uint64(inc.TreeSize), hasher.HashLeaf(leaf), decode64(t, inc.Hashes), cp.Root[:]); err != nil {
			t.Fatalf("inclusion proof: %v", err)
		}

		// More ballots and an action (public, followed by a seal: translog/seal.go); the latest
		// checkpoint extends the one the voter kept.
		for _, c := range []string{"a", "c", "a"} {
			e.voter().mustVote(c)
		}
		e.mustAdmin("difficulty", map[string]any{"difficulty": 0})
		last := e.proofOf(e.voter().mustVote("c"))
		latest, err := translog.OpenCheckpoint(e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID+"/checkpoint", 200).Body, vkey)
		if err != nil || latest.Size < last.TreeSize || latest.Size != 7 {
			t.Fatalf("latest checkpoint %+v, %v (last proof at %d)", latest, err, last.TreeSize)
		}
		var cons struct{ Hashes []string }
		r := e.anonymous().mustGet(fmt.Sprintf("/api/v1/polls/%s/consistency?from=%d&to=%d", e.Poll.ID, cp.Size, latest.Size), 200)
		json.Unmarshal(r.Body, &cons)
		if err := proof.VerifyConsistency(hasher, uint64(cp.Size), uint64(latest.Size), decode64(t, cons.Hashes), cp.Root[:], latest.Root[:]); err != nil {
			t.Fatalf("consistency %d -> %d: %v", cp.Size, latest.Size, err)
		}
		for _, q := range []string{"from=0", "from=2&to=1", "from=1&to=99", "from=x", "from=1&from=2"} {
			r := e.anonymous().get("/api/v1/polls/" + e.Poll.ID + "/consistency?" + q)
			if r.Code(t) != "invalid_request" || !strings.Contains(string(r.Body), "query parameter from") || strings.Contains(string(r.Body), "JSON") {
				t.Errorf("consistency?%s = %d %s: want invalid_request naming the parameter", q, r.Status, r.Body)
			}
		}
		if r := e.anonymous().get("/api/v1/receipts/NOSUCHRECEIPT/proof"); r.Code(t) != "receipt_not_found" {
			t.Errorf("proof of an unknown receipt = %d %s", r.Status, r.Body)
		}
	})
}

// TestLogHiddenNeedsToken: while results are hidden, only organiser and auditor tokens read the
// log; once revealed, anyone. The leaves name no receipt, voter or address.
func TestLogHiddenNeedsToken(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withRoles())
	receipt := e.voter().mustVote("a")
	e.proofOf(receipt)
	path := "/api/v1/polls/" + e.Poll.ID + "/log"
	for _, tc := range []struct {
		token string
		code  string
	}{{"", "unauthorized"}, {"wrong", "unauthorized"}, {operatorToken, "forbidden"}} {
		if r := e.anonymous().get(path, "Authorization", "Bearer "+tc.token); r.Code(t) != tc.code {
			t.Errorf("hidden log with token %q = %d %s", tc.token, r.Status, r.Body)
		}
	}
	for _, tok := range []string{auditorToken, adminToken} {
		e.anonymous().mustGet(path, 200, "Authorization", "Bearer "+tok)
	}
	e.mustAdmin("results", map[string]any{"results": "live"})
	e.anonymous().mustGet(path, 401)
	e.mustAdmin("results", map[string]any{"results": "revealed"})
	e.proofOf(e.voter().mustVote("b"))
	var log struct {
		TreeSize   int64 `json:"tree_size"`
		Checkpoint string
		Leaves     []string
	}
	json.Unmarshal(e.anonymous().mustGet(path, 200).Body, &log)
	if log.TreeSize != 9 || len(log.Leaves) != 9 {
		t.Fatalf("log = %+v", log)
	}
	leaves := decode64(t, log.Leaves)
	// Each public action is followed by a seal; revealing live results is a statement at once,
	// which opens the log: a seal after every entry from then on.
	for i, want := range []string{`"type":"ballot"`, `"action":"results","value":"live","role":"organiser"`, `"type":"seal"`,
		`"action":"results","value":"revealed"`, `"type":"seal"`,
		`"action":"statement","value":"{\"counted\":1,\"held\":0,\"tally\":{\"a\":1,\"b\":0,\"c\":0}}"`, `"type":"seal"`,
		`"choices":["b"]`, `"type":"seal"`} {
		if !strings.Contains(string(leaves[i]), want) {
			t.Errorf("leaf %d = %s, want %s", i, leaves[i], want)
		}
	}
	if strings.Contains(string(leaves[0]), receipt) || strings.Contains(string(leaves[0]), "127.0.0.1") {
		t.Errorf("a leaf names a receipt or an address: %s", leaves[0])
	}
	var page struct{ Leaves []string }
	json.Unmarshal(e.anonymous().mustGet(path+"?after=1&limit=2", 200).Body, &page)
	if len(page.Leaves) != 2 || page.Leaves[0] != log.Leaves[1] || page.Leaves[1] != log.Leaves[2] {
		t.Errorf("after=1&limit=2 = %v", page.Leaves)
	}
}

// TestRoleRights: every organiser endpoint, called with each role's token: 401 without a role,
// 403 forbidden for a role without the right, anything else for a role with it.
func TestRoleRights(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withRoles(), func(c *server.Config) { c.WrongTokens = -1 })
	held := castHeld(t, e, "a")
	const (
		read    = "read"
		results = "results"
		change  = "change"
	)
	endpoints := []struct {
		method, path string
		body         string
		right        string
	}{
		{"POST", "/status", `{"status":"open"}`, change},
		{"POST", "/results", `{"results":"hidden"}`, results},
		{"POST", "/reveal", `{"withheld":0}`, results},
		{"GET", "/checklist", "", results},
		{"POST", "/screen-token", "", results},
		{"POST", "/difficulty", `{"difficulty":0}`, change},
		{"GET", "/held", "", read},
		{"POST", "/held", `{"receipts":["nosuch"],"action":"void"}`, change},
		{"POST", "/held/" + held, `{"action":"nosuch"}`, change},
		{"GET", "/export", "", read},
		{"GET", "/audit", "", read},
		{"GET", "/signals", "", read},
		{"GET", "/trusted", "", read},
		{"POST", "/trusted", `{"subnet":"198.51.100.0/24"}`, change},
		{"DELETE", "/trusted?subnet=198.51.100.0/24", "", change},
		{"GET", "/nosuch", "", "none"},
	}
	rights := map[string][]string{
		"organiser": {read, results, change},
		"auditor":   {read},
		"operator":  {results},
	}
	tokens := map[string]string{"organiser": adminToken, "auditor": auditorToken, "operator": operatorToken, "nobody": "not-a-token", "none": ""}
	for role, token := range tokens {
		for _, ep := range endpoints {
			t.Run(role+" "+ep.method+" "+ep.path, func(t *testing.T) {
				var body []byte
				if ep.body != "" {
					body = []byte(ep.body)
				}
				h := []string{}
				if token != "" {
					h = []string{"Authorization", "Bearer " + token}
				}
				r := e.anonymous().do(ep.method, "/api/v1/admin/polls/"+e.Poll.ID+ep.path, body, h...)
				allowed := false
				for _, x := range rights[role] {
					allowed = allowed || x == ep.right
				}
				switch {
				case rights[role] == nil:
					if r.Status != 401 || r.Code(t) != "unauthorized" {
						t.Errorf("= %d %s, want 401 unauthorized", r.Status, r.Body)
					}
				case ep.right == "none":
					if r.Status != 404 {
						t.Errorf("= %d %s, want 404", r.Status, r.Body)
					}
				case !allowed:
					if r.Status != 403 || r.Code(t) != "forbidden" {
						t.Errorf("= %d %s, want 403 forbidden", r.Status, r.Body)
					}
				case r.Status == 401 || r.Status == 403:
					t.Errorf("= %d %s, want the role's right", r.Status, r.Body)
				}
			})
		}
	}
	// The checklist: the operator, who may not read the hidden tally, is not told who is tied.
	for token, ids := range map[string]bool{adminToken: true, operatorToken: false} {
		r := e.anonymous().get("/api/v1/admin/polls/"+e.Poll.ID+"/checklist", "Authorization", "Bearer "+token)
		if _, ok := r.JSON(t)["tied_first_ids"]; ok != ids {
			t.Errorf("checklist with token %q = %s", token, r.Body)
		}
	}
	// The reads of the organiser's results and live updates: the auditor sees the hidden tally,
	// the operator does not.
	if res := e.results("Authorization", "Bearer "+auditorToken); res["tally"] == nil || res["held"] == nil {
		t.Errorf("auditor's results = %v", res)
	}
	if res := e.results("Authorization", "Bearer "+operatorToken); res["tally"] != nil {
		t.Errorf("operator's results while hidden = %v", res)
	}
}

// TestActionsAreLogged: each organiser or operator action is a log entry naming its role.
func TestActionsAreLogged(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) { testActionsAreLogged(t, newStore(t)) })
}

func testActionsAreLogged(t *testing.T, store vote.Store) {
	e := newEnv(t, store, nil, withRoles())
	op := e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/results", map[string]any{"results": "live"}, "Authorization", "Bearer "+operatorToken)
	if op.Status != 200 {
		t.Fatalf("operator reveal = %d %s", op.Status, op.Body)
	}
	e.mustAdmin("status", map[string]any{"status": "paused"})
	e.mustAdmin("difficulty", map[string]any{"difficulty": 1000})
	e.mustAdmin("trusted", map[string]any{"subnet": "198.51.100.0/24"})
	if r := e.anonymous().do("DELETE", "/api/v1/admin/polls/"+e.Poll.ID+"/trusted?subnet=198.51.100.0/24", nil, "Authorization", "Bearer "+adminToken); r.Status != 200 {
		t.Fatalf("untrust = %d %s", r.Status, r.Body)
	}
	if r := e.admin("status", map[string]any{"status": "bogus"}); r.Status != 400 {
		t.Fatalf("bad status = %d", r.Status)
	}
	var ex struct{ Log []vote.LogEntry }
	json.Unmarshal(e.adminGet("/export").Body, &ex)
	var got []string
	for _, l := range ex.Log {
		got = append(got, l.Action+"="+l.Value+" by "+l.Role)
	}
	want := "results=live by operator, status=paused by organiser, difficulty=1000 by organiser, trusted=198.51.100.0/24 by organiser, untrusted=198.51.100.0/24 by organiser"
	if strings.Join(got, ", ") != want {
		t.Errorf("logged actions:\n%s\nwant\n%s", strings.Join(got, ", "), want)
	}
}

// TestExportVerifies: an export checks offline against the served key (translog.VerifyExport,
// the code of `livevote verify`), its leaves are exactly tree_size, and a changed figure fails.
func TestExportVerifies(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		for _, c := range []string{"a", "b", "b"} {
			e.voter().mustVote(c)
		}
		h := castHeld(t, e, "c")
		e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/"+h, map[string]any{"action": "release"}, "Authorization", "Bearer "+adminToken)
		castHeld(t, e, "a")
		e.mustAdmin("results", map[string]any{"results": "live"})
		vkey := strings.TrimSpace(string(e.anonymous().mustGet("/api/v1/log-key", 200).Body))
		body := e.adminGet("/export").Body
		v, err := translog.VerifyExport(body, vkey)
		if err != nil {
			t.Fatalf("verify: %v\n%s", err, body)
		}
		var ex struct {
			Settled  bool
			TreeSize int64 `json:"tree_size"`
			Leaves   []string
			Log      []vote.LogEntry
		}
		json.Unmarshal(body, &ex)
		if !ex.Settled || ex.TreeSize != 7 || len(ex.Leaves) != 7 || len(ex.Log) != 7 || v.Checkpoint.Size != 7 || v.Count.Ballots != 4 {
			t.Errorf("export: settled %v, tree size %d, %d leaves, %d log entries; verified %+v", ex.Settled, ex.TreeSize, len(ex.Leaves), len(ex.Log), v)
		}
		changed := strings.Replace(string(body), `"ballots":4`, `"ballots":5`, 1)
		if _, err := translog.VerifyExport([]byte(changed), vkey); err == nil || !strings.Contains(err.Error(), "ballots") {
			t.Errorf("verify of a changed ballots figure: %v", err)
		}
	})
}

// TestLiveRoles: organiser live updates (the hidden tally) are an organiser read: the auditor
// gets them; the operator (the big screen) watches as the public does, in the reserved pool,
// with its token in the subprotocol or the Authorization header.
func TestLiveRoles(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withRoles())
	op := e.mustDial("?hz=10", withToken(operatorToken))
	opHeader := e.mustDial("?hz=10", http.Header{"Authorization": {"Bearer " + operatorToken}})
	aud := e.mustDial("?hz=10", withToken(auditorToken))
	e.voter().mustVote("b")
	if m := aud.waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Ballots == 1 }).Msg; m.Tally["b"] != 1 || m.Held == nil {
		t.Errorf("auditor's live message while hidden = %+v", m)
	}
	for _, l := range []*live{op, opHeader} {
		if f := l.waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Ballots == 1 }); f.Msg.Tally != nil || f.Msg.Held != nil {
			t.Errorf("operator's live message while hidden = %s, want the public's", f.Raw)
		}
	}
}
