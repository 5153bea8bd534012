package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
)

// TestStrangerLearnsNothingWhileSealed plays the stranger of issue 21 on a running server, in two
// worlds that differ only in the hidden tally (the crowd's leader is a in one, c in the other):
// from a fresh address per candidate it casts four ballots for that candidate alone (a phone's
// headers, fresh cookies), waits until the settle passes decided them (the choice test releases a
// source that votes like the crowd) and the log read them, then reads everything it may without a
// token: the checkpoint's size, every consistency proof's length, the public results, each of
// its receipts, proofs (the leaf, its index, the tree size) and /me, and whether the log and the
// sealed tree answer. Everything it reads is equal in both worlds, but for what differs by chance
// (receipts, times, hashes), which the view below leaves out.
func TestStrangerLearnsNothingWhileSealed(t *testing.T) {
	crowds := map[string][3]int{"a leads": {30, 18, 8}, "c leads": {8, 18, 30}}
	views, decided := map[string][]string{}, map[string]string{}
	for _, world := range []string{"a leads", "c leads"} {
		e := newEnv(t, memstore.New(), []string{"fraud: {}", "difficulty: 0"}, withProxy(), withSampling(100*time.Millisecond))
		cast := func(a *agent, choice string) string {
			t.Helper()
			pow := a.open()
			e.Clock.Set(e.Clock.Now().Add(100 * time.Millisecond))
			r := a.send(pow, page, choice)
			if r.Status != 201 {
				t.Fatalf("vote for %s = %d %s", choice, r.Status, r.Body)
			}
			return r.JSON(t)["receipt"].(string)
		}
		n := crowds[world]
		for i := range n[0] + n[1] + n[2] { // the crowd, each voter on a line of its own, candidates interleaved
			choice := "a"
			switch k := i % (n[0] + n[1] + n[2]); {
			case k >= n[0]+n[1]:
				choice = "c"
			case k >= n[0]:
				choice = "b"
			}
			cast(e.phone(ownLine(i)), choice)
		}
		waitDecided(t, e)
		var view []string
		var own []string
		var agents []*agent
		for k, cand := range []string{"a", "b", "c"} {
			addr := fmt.Sprintf("100.%d.0.9", 64+k) // a /16 of its own: no group with anyone
			for range 4 {
				a := e.phone(addr)
				own = append(own, cast(a, cand))
				agents = append(agents, a)
			}
			waitDecided(t, e)
			view = append(view, stranger(t, e, own, agents)...)
		}
		views[world] = view
		var states []vote.BallotState
		for _, r := range own {
			rec, err := e.Store.Receipt(context.Background(), e.Poll, r)
			if err != nil {
				t.Fatal(err)
			}
			states = append(states, rec.State)
		}
		decided[world] = fmt.Sprint(states)
	}
	// The worlds must differ in what the choice test decided of the stranger's ballots, or this
	// test would prove nothing.
	if decided["a leads"] == decided["c leads"] {
		t.Fatalf("the choice test decided the same in both worlds (%s): the worlds do not differ where it matters", decided["a leads"])
	}
	t.Logf("the stranger's ballots: %s when a leads, %s when c leads", decided["a leads"], decided["c leads"])
	a, c := views["a leads"], views["c leads"]
	for i := range max(len(a), len(c)) {
		if i >= len(a) || i >= len(c) || a[i] != c[i] {
			t.Fatalf("the stranger tells the worlds apart at reading %d:\na leads: %s\nc leads: %s", i, at(a, i), at(c, i))
		}
	}
	t.Logf("%d readings, equal in both worlds; the last: %s", len(a), a[len(a)-1])
}

func at(v []string, i int) string {
	if i < len(v) {
		return v[i]
	}
	return "(nothing)"
}

// waitDecided waits (20 s at most) until the settle passes (every 100 ms here) are done with
// e's poll: its pending count has not changed for a second (a ballot the choice test cannot
// decide yet stays pending), and the log has read every entry of the store (a settlement a
// stranger might see is then in it).
func waitDecided(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last, since := int64(-1), time.Now()
	for {
		snap, err := e.Store.Snapshot(context.Background(), e.Poll, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if snap.Pending != last {
			last, since = snap.Pending, time.Now()
		}
		var audit struct{ Log struct{ Entries int64 } }
		json.Unmarshal(e.adminGet("/audit").Body, &audit)
		var sealed struct {
			Sealed int64 `json:"sealed_size"`
		}
		json.Unmarshal(e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID+"/sealed?limit=0", 200, "Authorization", "Bearer "+adminToken).Body, &sealed)
		if time.Since(since) > time.Second && sealed.Sealed == audit.Log.Entries {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d ballots pending, log at %d of %d entries", snap.Pending, sealed.Sealed, audit.Log.Entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// chance matches what differs between the worlds by chance: receipt hashes, times, roots and
// proof hashes, the poll's id.
var chance = regexp.MustCompile(`[0-9a-f]{64}|\d{4}-\d\d-\d\dT[0-9:.]+Z|t-[a-z0-9]{12}`)

// stranger reads, without a token, what issue 21's stranger reads, and returns it as lines with
// what differs by chance left out.
func stranger(t *testing.T, e *env, own []string, agents []*agent) []string {
	t.Helper()
	anon := e.anonymous()
	poll := "/api/v1/polls/" + e.Poll.ID
	var out []string
	add := func(format string, args ...any) {
		out = append(out, chance.ReplaceAllString(fmt.Sprintf(format, args...), "…"))
	}
	cp, err := translog.ParseCheckpoint(strings.SplitN(string(anon.mustGet(poll+"/checkpoint", 200).Body), "\n\n", 2)[0] + "\n")
	if err != nil {
		t.Fatal(err)
	}
	add("checkpoint size %d", cp.Size)
	for m := int64(1); m <= cp.Size; m++ {
		var c struct{ Hashes []string }
		json.Unmarshal(anon.mustGet(fmt.Sprintf("%s/consistency?from=%d&to=%d", poll, m, cp.Size), 200).Body, &c)
		add("consistency %d->%d: %d hashes", m, cp.Size, len(c.Hashes))
	}
	res := anon.mustGet(poll+"/results", 200).JSON(t)
	delete(res, "updated_at")
	add("results %v", res)
	for _, path := range []string{"/log", "/sealed", "/log?after=0&limit=1"} {
		add("GET %s: %d", path, anon.get(poll+path).Status)
	}
	for i, r := range own {
		rec := anon.mustGet("/api/v1/receipts/"+r, 200).JSON(t)
		delete(rec, "recorded_at")
		add("receipt %d: %v", i, rec)
		pr := anon.get("/api/v1/receipts/" + r + "/proof")
		var inc struct {
			translog.Inclusion
			Opening *translog.Opening `json:"opening"`
		}
		json.Unmarshal(pr.Body, &inc)
		leaf, _ := base64.StdEncoding.DecodeString(inc.Leaf)
		add("proof %d: %d, index %d of %d, %d hashes, leaf %s, opening %v", i, pr.Status, inc.Index, inc.TreeSize, len(inc.Hashes), leaf, inc.Opening != nil)
		me := agents[i].get(poll + "/me").JSON(t)
		delete(me, "receipt")
		delete(me, "recorded_at")
		add("me %d: %v", i, me)
	}
	return out
}

// TestSealedOpensAtTheReveal: before the reveal the sealed tree (GET .../sealed) needs a token, a
// voided ballot's receipt reads as counted (a review is sealed) and a proof has no opening; after
// it, anyone reads the sealed tree and its salt, whose leaves rebuild the public log's seals
// (translog.VerifyExport on the export), the receipt says not counted, and the proof carries the
// ballot's opening with its void.
func TestSealedOpensAtTheReveal(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil, withRoles())
		e.voter().mustVote("a")
		h := castHeld(t, e, "b")
		if r := e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/"+h, map[string]any{"action": "void"}, "Authorization", "Bearer "+adminToken); r.Status != 200 {
			t.Fatalf("void = %d %s", r.Status, r.Body)
		}
		e.mustAdmin("difficulty", map[string]any{"difficulty": 0}) // a public action: a seal follows
		last := e.proofOf(e.voter().mustVote("c"))
		path := "/api/v1/polls/" + e.Poll.ID + "/sealed"
		for tok, code := range map[string]string{"": "unauthorized", operatorToken: "forbidden"} {
			if r := e.anonymous().get(path, "Authorization", "Bearer "+tok); r.Code(t) != code {
				t.Errorf("sealed tree before the reveal with token %q = %d %s", tok, r.Status, r.Body)
			}
		}
		e.anonymous().mustGet(path, 200, "Authorization", "Bearer "+auditorToken)
		if rec := e.anonymous().mustGet("/api/v1/receipts/"+h, 200).JSON(t); rec["counted"] != true {
			t.Errorf("a voided ballot's receipt before the reveal = %v: the review shows", rec)
		}
		if r := e.anonymous().mustGet("/api/v1/receipts/"+h+"/proof", 200); contains(r.Body, "opening") || contains(r.Body, "held") {
			t.Errorf("a proof before the reveal = %s", r.Body)
		}
		if last.TreeSize != 5 { // a, b (no "held"), the action, its seal, c; the void is sealed
			t.Errorf("public tree of %d leaves, want 5", last.TreeSize)
		}

		e.mustAdmin("results", map[string]any{"results": "revealed", "confirm": true})
		// A staged reveal: the log stays sealed until the stage has shown the last place.
		if r := e.anonymous().get(path); r.Code(t) != "unauthorized" {
			t.Errorf("sealed tree at the start of the staged reveal = %d %s", r.Status, r.Body)
		}
		e.mustAdmin("reveal", map[string]any{"withheld": 0})
		deadline := time.Now().Add(5 * time.Second)
		var proof struct {
			translog.Inclusion
			Opening *translog.Opening `json:"opening"`
		}
		for proof.Opening == nil {
			if time.Now().After(deadline) {
				t.Fatal("no opening in the proof after the reveal")
			}
			time.Sleep(20 * time.Millisecond)
			json.Unmarshal(e.anonymous().mustGet("/api/v1/receipts/"+h+"/proof", 200).Body, &proof)
		}
		if len(proof.Opening.Entries) != 2 || !strings.Contains(mustB64(t, proof.Opening.Entries[1].Leaf), `"type":"void"`) ||
			!strings.Contains(mustB64(t, proof.Opening.Entries[0].Leaf), `"held":true`) {
			t.Errorf("the opening of the voided ballot = %+v", proof.Opening)
		}
		if rec := e.anonymous().mustGet("/api/v1/receipts/"+h, 200).JSON(t); rec["counted"] != false {
			t.Errorf("a voided ballot's receipt after the reveal = %v", rec)
		}
		var sealed struct {
			Sealed int64 `json:"sealed_size"`
			Salt   string
			Leaves []string
		}
		json.Unmarshal(e.anonymous().mustGet(path, 200).Body, &sealed)
		if sealed.Sealed != 8 || len(sealed.Leaves) != 8 || sealed.Salt != proof.Opening.Salt { // with the reveal, its step and the statement
			t.Errorf("the open sealed tree: %d entries, %d leaves, salt %q (the opening's %q)", sealed.Sealed, len(sealed.Leaves), sealed.Salt, proof.Opening.Salt)
		}
		vkey := strings.TrimSpace(string(e.anonymous().mustGet("/api/v1/log-key", 200).Body))
		if v, err := translog.VerifyExport(e.adminGet("/export").Body, vkey); err != nil || v.Void != 1 || v.Committed != v.Sealed {
			t.Errorf("the export after the reveal: %+v, %v", v, err)
		}
		if r := e.anonymous().get(path + "?after=x"); r.Code(t) != "invalid_request" || !contains(r.Body, "query parameter after") {
			t.Errorf("sealed?after=x = %d %s", r.Status, r.Body)
		}
	})
}

func mustB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStrangerCannotCountVoids plays a stranger in two worlds that differ only in whether the
// organiser voided two held ballots (issue 21's follow-up): the public count of ballots received,
// the rate, the turnout, the results, the live socket's messages, the checkpoint and every
// proof, receipt and /me of the held ballots are the same, so that while the log is sealed nobody
// without a token learns how many ballots were voided.
func TestStrangerCannotCountVoids(t *testing.T) {
	views := map[bool][]string{}
	for _, voids := range []bool{false, true} {
		e := newEnv(t, memstore.New(), []string{"fraud: {}", "difficulty: 0"}, withProxy())
		e.Clock.Set(time.Now().Truncate(time.Minute)) // every ballot in one minute of the turnout
		pub := e.mustDial("?hz=10", nil)
		var own []string
		var agents []*agent
		for i := range 6 {
			a := e.phone(ownLine(i))
			pow := a.open()
			e.Clock.Set(e.Clock.Now().Add(100 * time.Millisecond))
			robot := map[string]any{"website": "", "client": map[string]any{"webdriver": i%2 == 1, "elapsed_ms": 8000}}
			r := a.send(pow, robot, "a")
			if r.Status != 201 {
				t.Fatalf("vote %d = %d %s", i, r.Status, r.Body)
			}
			own, agents = append(own, r.JSON(t)["receipt"].(string)), append(agents, a)
		}
		pub.waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Ballots == 6 })
		seen := len(pub.frames())
		held := e.adminGet("/held").JSON(t)["held"].([]any)
		if len(held) != 3 {
			t.Fatalf("%d ballots held, want the 3 webdriver ones", len(held))
		}
		if voids {
			for _, h := range held[:2] {
				path := "/api/v1/admin/polls/" + e.Poll.ID + "/held/" + h.(map[string]any)["receipt"].(string)
				if r := e.anonymous().postJSON(path, map[string]any{"action": "void"}, "Authorization", "Bearer "+adminToken); r.Status != 200 {
					t.Fatalf("void = %d %s", r.Status, r.Body)
				}
			}
			if got := e.results("Authorization", "Bearer "+adminToken); got["held"] != 1.0 {
				t.Fatalf("the organiser's results after two voids = %v", got)
			}
		}
		waitDecided(t, e) // the log has read the voids
		view := stranger(t, e, own, agents)
		for _, step := range []string{"1m", "1h"} {
			view = append(view, chance.ReplaceAllString(string(e.anonymous().mustGet("/api/v1/polls/"+e.Poll.ID+"/turnout?step="+step, 200).Body), "…"))
		}
		time.Sleep(300 * time.Millisecond) // three ticks of the hub for a message the voids would cause
		for _, f := range pub.frames()[seen-1:] {
			m := f.Msg
			view = append(view, fmt.Sprintf("live: %s %s %s ballots %d rate %v tally %v", m.Type, m.Status, m.Results, m.Ballots, m.Rate, m.Tally))
		}
		views[voids] = view
	}
	a, b := views[false], views[true]
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			t.Fatalf("the stranger tells the worlds apart at reading %d:\nno void: %s\ntwo voided: %s", i, at(a, i), at(b, i))
		}
	}
	t.Logf("%d readings, equal in both worlds; the last: %s", len(a), a[len(a)-1])
}
